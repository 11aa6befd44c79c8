package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.RpcException.DeadlineCause;
import dev.rabbitrpc.api.Timeout;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Where a call's time went, end to end (proxy → broker → server → reply): a request still queued,
 * one a server holds, one a server skips because it had expired in its prefetch, and a reply after
 * the deadline. Every step is gated on a latch or a broker count, with bounds; the deadlines are
 * long enough for the consumer probe to count the queue several times while the call waits.
 *
 * <p>On the embedded broker (Qpid), whose queue count includes the messages delivered and not yet
 * acknowledged, the client cannot tell queued from taken: those expirations are {@code UNKNOWN}
 * with the count as it is, and that is asserted there instead.
 */
@RpcBrokerTest
class DeadlineCausesIT {
  private static final int WAIT_SECONDS = 30;
  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("deadline-causes");
  private final CountDownLatch release = new CountDownLatch(1);

  DeadlineCausesIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @AfterEach
  void releaseAndDelete() throws Exception {
    release.countDown();
    broker.deleteQueue(queue);
  }

  interface Gated {
    /** Long enough for several counts of the queue (from 500 ms on, every 100 ms) before it expires. */
    @Timeout(value = 3, unit = TimeUnit.SECONDS)
    String held(String value);

    @Timeout(value = 3, unit = TimeUnit.SECONDS)
    CompletableFuture<String> heldAsync(String value);

    /** The request that keeps the only worker busy: its own deadline is far away. */
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    CompletableFuture<String> occupy(String value);
  }

  /** Holds every call until the test releases it; counts the calls that began. */
  private final class GatedImpl implements Gated {
    final CountDownLatch running = new CountDownLatch(1);

    @Override
    public String held(String value) {
      running.countDown();
      await(release);
      return value;
    }

    @Override
    public CompletableFuture<String> heldAsync(String value) {
      return CompletableFuture.completedFuture(held(value));
    }

    @Override
    public CompletableFuture<String> occupy(String value) {
      return CompletableFuture.completedFuture(held(value));
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aRequestWaitingBehindABusyConsumerExpiresAsStillQueued() throws Exception {
    Channel raw = broker.rawConnection().createChannel();
    raw.queueDeclare(queue, true, false, false, null); // not exclusive: the client's probe must see it
    raw.basicQos(1);
    CountDownLatch holding = new CountDownLatch(1);
    // A consumer that takes one message and never acks it: everything after it stays queued.
    raw.basicConsume(queue, false, new DefaultConsumer(raw) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        holding.countDown();
      }
    });
    raw.basicPublish("", queue, null, "first".getBytes(StandardCharsets.UTF_8));
    assertTrue(holding.await(WAIT_SECONDS, TimeUnit.SECONDS), "the consumer took the first message");
    raw.basicPublish("", queue, null, "second".getBytes(StandardCharsets.UTF_8));
    // RabbitMQ counts the ready message; Qpid the held one too.
    int held = broker.isRabbitMq() ? 0 : 1;
    TestBroker.await(Duration.ofSeconds(WAIT_SECONDS), "one message ready", () -> broker.messageCount(queue) == 1 + held);

    RpcClient client = broker.client();
    Gated gated = client.proxy(Gated.class, queue);
    RpcException e = assertThrows(RpcException.class, () -> gated.held("queued"));
    assertEquals(Code.DEADLINE_EXCEEDED, e.code());
    if (!broker.isRabbitMq()) {
      assertEquals(DeadlineCause.UNKNOWN, e.deadlineCause(), e.getMessage());
      assertTrue(e.getMessage().contains("(queue " + queue + " held 3 messages, delivered or not, and 1 consumer; counted "),
          e.getMessage());
      return;
    }
    assertEquals(DeadlineCause.QUEUED, e.deadlineCause(), e.getMessage());
    // The second message and this request were ready; the held first one was not.
    assertTrue(e.getMessage().contains("probably still queued (2 messages ready in queue " + queue
        + ", so at most 1 ahead of it; 1 consumer; counted "), e.getMessage());
  }

  @Test
  void aRequestAServerHoldsPastTheDeadlineExpiresAsTaken() throws Exception {
    GatedImpl implementation = new GatedImpl();
    broker.client().export(Gated.class, implementation, queue);
    Gated gated = broker.client().proxy(Gated.class, queue);
    CompletableFuture<String> call = gated.heldAsync("taken");
    assertTrue(implementation.running.await(WAIT_SECONDS, TimeUnit.SECONDS), "the server runs the request");
    RpcException e = failure(call);
    assertEquals(Code.DEADLINE_EXCEEDED, e.code());
    if (!broker.isRabbitMq()) {
      assertEquals(DeadlineCause.UNKNOWN, e.deadlineCause(), e.getMessage());
      assertTrue(e.getMessage().contains("(queue " + queue + " held 1 message, delivered or not, and 1 consumer; counted "),
          e.getMessage());
      return;
    }
    assertEquals(DeadlineCause.TAKEN, e.deadlineCause(), e.getMessage());
    assertTrue(e.getMessage().startsWith("Gated.heldAsync: no reply within 3000 ms: taken by a server, no reply in time"
        + " (no message ready in queue " + queue + ", 1 consumer; counted "), e.getMessage());
  }

  @Test
  void aReplyAfterTheDeadlineIsCountedAsLateWithItsLateness() throws Exception {
    GatedImpl implementation = new GatedImpl();
    broker.client().export(Gated.class, implementation, queue);
    RpcClient caller = broker.client();
    Gated gated = caller.proxy(Gated.class, queue);
    CompletableFuture<String> call = gated.heldAsync("late");
    assertTrue(implementation.running.await(WAIT_SECONDS, TimeUnit.SECONDS), "the server runs the request");
    assertEquals(Code.DEADLINE_EXCEEDED, failure(call).code());
    String correlationId = RpcClient.correlationIdOf(call);
    release.countDown(); // the reply now comes after the caller's deadline
    TestBroker.await(Duration.ofSeconds(WAIT_SECONDS), "the late reply", () -> caller.stats().lateReplies() == 1);
    LateReply late = caller.stats().recentLateReplies().get(0);
    assertEquals("Gated.heldAsync", late.method());
    assertEquals(correlationId, late.correlationId());
    assertEquals(DeadlineCause.TAKEN, late.cause());
    assertEquals("OK", late.status());
    assertTrue(late.lateMillis() >= 0, "late by " + late.lateMillis());
    assertEquals(-1, late.queuedMillis());
    assertEquals(0, caller.stats().skippedLateReplies());
  }

  @Test
  void aRequestThatExpiredWaitingForAWorkerIsSkippedAndRecordedAsALateReplyWithItsQueueTime() throws Exception {
    GatedImpl implementation = new GatedImpl();
    // One worker, two prefetched: the second request waits in the server for the worker.
    RpcServer server = broker.client(b -> b.workers(1).prefetch(2)).export(Gated.class, implementation, queue);
    RpcClient caller = broker.client();
    Gated gated = caller.proxy(Gated.class, queue);
    CompletableFuture<String> occupying = gated.occupy("first");
    assertTrue(implementation.running.await(WAIT_SECONDS, TimeUnit.SECONDS), "the worker is busy");
    CompletableFuture<String> waiting = gated.heldAsync("second");
    if (broker.isRabbitMq()) {
      TestBroker.await(Duration.ofSeconds(WAIT_SECONDS), "the server prefetched the second request",
          () -> broker.messageCount(queue) == 0);
      // Seen prefetched while its call still waited: so before its deadline, and the broker, which
      // expires messages at their expiration (no earlier than the deadline), did not drop it.
      assertFalse(waiting.isDone(), "the deadline passed before the request was seen prefetched; 3 s was too short");
      // In the server's hands, not the queue's.
      assertEquals(DeadlineCause.TAKEN, failure(waiting).deadlineCause());
    } else {
      // Qpid gets no expiration, so the request waits wherever it is until the worker is free.
      assertEquals(Code.DEADLINE_EXCEEDED, failure(waiting).code());
    }

    release.countDown(); // the worker finishes the first request and takes the expired second one
    assertEquals("first", occupying.get(WAIT_SECONDS, TimeUnit.SECONDS));
    TestBroker.await(Duration.ofSeconds(WAIT_SECONDS), "the server's skip reply", () -> caller.stats().skippedLateReplies() == 1);
    assertEquals(1, server.stats().expiredRequests());
    assertEquals(1, caller.stats().lateReplies());
    LateReply late = caller.stats().recentLateReplies().get(0);
    assertEquals("Gated.heldAsync", late.method());
    assertEquals(DeadlineCause.SKIPPED_EXPIRED, late.cause());
    assertEquals("DEADLINE_EXCEEDED", late.status());
    // From sending to the skip reply: what was left of its 3 s when sent (all but the few ms of
    // sending), and then how late the reply came.
    assertTrue(late.lateMillis() >= 0, "late by " + late.lateMillis());
    assertTrue(late.queuedMillis() >= late.lateMillis() && late.queuedMillis() >= 1_000,
        "queued " + late.queuedMillis() + " ms, late " + late.lateMillis() + " ms");
  }

  private static RpcException failure(CompletableFuture<?> call) throws Exception {
    ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(WAIT_SECONDS, TimeUnit.SECONDS));
    return assertInstanceOf(RpcException.class, e.getCause());
  }
}
