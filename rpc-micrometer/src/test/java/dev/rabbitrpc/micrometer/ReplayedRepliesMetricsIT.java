package dev.rabbitrpc.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.CallKey;
import dev.rabbitrpc.api.Deduplicated;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.InMemoryReplyStore;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The replayed replies' counters of {@link RpcServerMetrics}, after real calls through the real broker. */
@RpcBrokerTest
class ReplayedRepliesMetricsIT {
  private final RpcBroker broker;
  private final String queue;
  private final MeterRegistry meters = new SimpleMeterRegistry();

  ReplayedRepliesMetricsIT(RpcBroker broker) {
    this.broker = broker;
    this.queue = broker.uniqueQueue("micrometer-replayed");
    broker.deleteAfterTest(queue);
  }

  public interface Payments {
    /** Pays once per key; a payment with {@code hold} waits for the test's release. */
    @Deduplicated
    int pay(@CallKey String key, boolean hold);
  }

  static final class PaymentsImpl implements Payments {
    final AtomicInteger runs = new AtomicInteger();
    final CountDownLatch held = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public int pay(String key, boolean hold) {
      int run = runs.incrementAndGet();
      if (hold) {
        held.countDown();
        try {
          assertTrue(release.await(20, TimeUnit.SECONDS), "released");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return run;
    }
  }

  private double count(String name) {
    return meters.get(name).tag("messaging.destination.name", queue).functionCounter().count();
  }

  @Test
  void countsReplayedRepliesWaitsAndBusyRequestsPerQueue() throws Exception {
    PaymentsImpl payments = new PaymentsImpl();
    RpcServer server = broker.newClient().server(Payments.class, payments).queue(queue)
        .replyStore(new InMemoryReplyStore()).export();
    new RpcServerMetrics(server).bindTo(meters);
    RpcClient patient = broker.newClient();
    RpcClient hasty = broker.newClient(builder -> builder.timeout(Duration.ofMillis(300)));
    Payments pay = patient.proxy(Payments.class, queue);
    new RpcClientMetrics(patient, io.micrometer.core.instrument.Tags.of("client", "patient")).bindTo(meters);

    // A call repeated after its run: replayed, nothing waited.
    int first = pay.pay("k1", false);
    assertEquals(first, pay.pay("k1", false));
    assertEquals(1.0, meters.get("rabbit.rpc.client.replies.replayed").tag("client", "patient").functionCounter().count(),
        "the client counts the replayed reply too");
    assertEquals(1, count("rabbit.rpc.server.replies.replayed"));
    assertEquals(0, count("rabbit.rpc.server.requests.waited"));

    // A repeat while the first run is held: it waits until its deadline, then is busy.
    CompletableFuture<Integer> held = CompletableFuture.supplyAsync(() -> pay.pay("k2", true));
    try {
      assertTrue(payments.held.await(10, TimeUnit.SECONDS), "the first run started");
      RpcException busy = assertThrows(RpcException.class, () -> hasty.proxy(Payments.class, queue).pay("k2", true));
      assertEquals(Code.DEADLINE_EXCEEDED, busy.code());
      Greeter.await(Duration.ofSeconds(10), "the busy request to be counted",
          () -> count("rabbit.rpc.server.requests.busy") == 1);
      assertEquals(1, count("rabbit.rpc.server.requests.waited"), "a busy request waited first");
    } finally {
      payments.release.countDown();
    }
    int run = held.get(10, TimeUnit.SECONDS);
    assertEquals(run, pay.pay("k2", true), "the held run's reply, replayed");
    assertEquals(2, count("rabbit.rpc.server.replies.replayed"));
    assertEquals(2, payments.runs.get());
  }
}
