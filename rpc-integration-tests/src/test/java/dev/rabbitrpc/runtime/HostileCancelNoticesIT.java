package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.rabbitrpc.runtime.CancellationIT.Work;
import dev.rabbitrpc.runtime.CancellationIT.WorkImpl;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Cancel notices from a raw amqp-client peer that is not the caller: forged, replayed, oversized,
 * by the thousand. None of them cancels a call it was not meant for, and the server's memory for
 * notices stays bounded while it keeps serving (docs/PROTOCOL.md §7).
 */
@RpcBrokerTest
class HostileCancelNoticesIT {
  /** The bound docs/RELIABILITY.md promises for one export's remembered notices. */
  private static final long REMEMBERED_BYTES_BOUND = 1 << 20;

  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("cancel-hostile");
  private Channel raw;

  HostileCancelNoticesIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @BeforeEach
  void openRawPeer() throws Exception {
    raw = broker.rawConnection().createChannel();
  }

  @AfterEach
  void deleteQueue() throws Exception {
    broker.deleteQueue(queue);
  }

  @Test
  void forgedAndReplayedNoticesDoNotSkipAQueuedCall() throws Exception {
    WorkImpl work = new WorkImpl();
    RpcServer server = broker.client(b -> b.workers(1)).export(Work.class, work, queue);
    BlockingQueue<Map<String, Object>> observed = observeNotices();
    Work proxy = broker.client().proxy(Work.class, queue);
    CompletableFuture<String> first = proxy.hold("first");
    assertTrue(work.started.await(10, TimeUnit.SECONDS));
    CompletableFuture<String> victim = proxy.hold("victim"); // queued: one worker, prefetch 1
    CompletableFuture<String> cancelled = proxy.hold("cancelled");
    cancelled.cancel(true); // a genuine notice, which the eavesdropper sees
    Map<String, Object> genuine = awaitNotice(observed, correlationIdOf(cancelled));
    String victimId = correlationIdOf(victim); // ids are not secrets: logs and traces show them

    publishNotice(Map.of("rpc-cancel", victimId)); // no key
    publishNotice(Map.of("rpc-cancel", victimId, "rpc-cancel-key", "0123456789abcdef0123456789abcdef")); // a guess
    Map<String, Object> replayed = new HashMap<>(genuine); // the genuine notice's key, the victim's id
    replayed.put("rpc-cancel", victimId);
    publishNotice(replayed);
    TestBroker.await(Duration.ofSeconds(10), "the server to receive the genuine and the three forged notices",
        () -> server.cancellations().noticesReceived() == 4);

    work.release.countDown();
    assertEquals("first", first.get(10, TimeUnit.SECONDS));
    assertEquals("victim", victim.get(10, TimeUnit.SECONDS), "the victim ran despite the forged notices");
    TestBroker.await(Duration.ofSeconds(10), "the genuinely cancelled request to be skipped",
        () -> server.stats().cancelledRequests() == 1);
    assertEquals(2, work.runs.get(), "first and victim ran; the cancelled one did not");
    server.close();
  }

  @Test
  void forgedNoticesDoNotInterruptARunningCall() throws Exception {
    WorkImpl work = new WorkImpl();
    RpcServer server = broker.client(b -> b.workers(1)).export(Work.class, work, queue);
    CompletableFuture<String> running = broker.client().proxy(Work.class, queue).hold("running");
    assertTrue(work.started.await(10, TimeUnit.SECONDS));
    String id = correlationIdOf(running);

    publishNotice(Map.of("rpc-cancel", id));
    publishNotice(Map.of("rpc-cancel", id, "rpc-cancel-key", "fedcba9876543210fedcba9876543210"));
    TestBroker.await(Duration.ofSeconds(10), "the server to receive both forged notices",
        () -> server.cancellations().noticesReceived() == 2);

    work.release.countDown();
    assertEquals("running", running.get(10, TimeUnit.SECONDS), "the handler was not interrupted");
    server.close();
  }

  @Test
  void aFloodOfLargeNoticesLeavesTheServerBoundedServingAndCancelling() throws Exception {
    WorkImpl work = new WorkImpl();
    RpcServer server = broker.client(b -> b.workers(1)).export(Work.class, work, queue);
    int sent = 0;
    publishNotice(Map.of("rpc-cancel", "h".repeat(30_000), "rpc-cancel-key", key(0)));
    sent++;
    for (int i = 0; i < 1_000; i++, sent++) { // ids longer than an AMQP shortstr can be
      publishNotice(Map.of("rpc-cancel", id(i, 4_000), "rpc-cancel-key", key(i)));
    }
    for (int i = 0; i < 3_000; i++, sent++) { // ids as long as a correlation id can be
      publishNotice(Map.of("rpc-cancel", id(i, 255), "rpc-cancel-key", key(i)));
    }
    int all = sent;
    TestBroker.await(Duration.ofSeconds(60), "the server to receive " + all + " notices",
        () -> server.cancellations().noticesReceived() == all);
    long bytes = server.cancellations().rememberedBytes();
    assertTrue(bytes <= REMEMBERED_BYTES_BOUND, "remembered notices take " + bytes + " bytes");

    // Still serving, and a genuine notice, the newest, is still effective.
    Work proxy = broker.client().proxy(Work.class, queue);
    CompletableFuture<String> first = proxy.hold("first");
    assertTrue(work.started.await(10, TimeUnit.SECONDS));
    CompletableFuture<String> second = proxy.hold("second");
    second.cancel(true);
    TestBroker.await(Duration.ofSeconds(10), "the server to receive the genuine notice",
        () -> server.cancellations().noticesReceived() == all + 1);
    work.release.countDown();
    assertEquals("first", first.get(10, TimeUnit.SECONDS));
    TestBroker.await(Duration.ofSeconds(10), "the cancelled request to be skipped",
        () -> server.stats().cancelledRequests() == 1);
    assertEquals(1, work.runs.get(), "only first ran");
    server.close();
  }

  /** The call's correlation id, as a peer that saw it in a log or a trace would know it. */
  private static String correlationIdOf(CompletableFuture<?> call) {
    return RpcClient.correlationIdOf(call);
  }

  /** A distinct id of {@code length} characters. */
  private static String id(int i, int length) {
    String prefix = "hostile-" + i + "-";
    return prefix + "x".repeat(length - prefix.length());
  }

  /** A well-formed key (32 lowercase hex digits) that matches no request. */
  private static String key(int i) {
    return String.format("%032x", i);
  }

  /** Publishes a notice as any peer on the vhost can, routed to this test's servers. */
  private void publishNotice(Map<String, Object> headers) throws IOException {
    raw.basicPublish(Cancellations.EXCHANGE, queue, new AMQP.BasicProperties.Builder().headers(headers).build(),
        new byte[0]);
  }

  /** The first observed notice for {@code id}, waiting at most 10 s. */
  private static Map<String, Object> awaitNotice(BlockingQueue<Map<String, Object>> observed, String id)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Map<String, Object> notice = observed.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      assertNotNull(notice, "the eavesdropper saw no notice for " + id + " within 10 s");
      if (id.equals(String.valueOf(notice.get("rpc-cancel")))) {
        return notice;
      }
    }
  }

  /** An eavesdropper's queue on the notices routed to this test's servers; it sees their headers. */
  private BlockingQueue<Map<String, Object>> observeNotices() throws Exception {
    Channel channel = broker.rawConnection().createChannel();
    String spy = channel.queueDeclare().getQueue(); // exclusive, server-named
    channel.queueBind(spy, Cancellations.EXCHANGE, queue);
    BlockingQueue<Map<String, Object>> seen = new LinkedBlockingQueue<>();
    channel.basicConsume(spy, true, new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        seen.add(properties.getHeaders());
      }
    });
    return seen;
  }
}
