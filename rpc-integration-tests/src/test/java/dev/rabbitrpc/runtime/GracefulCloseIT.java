package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.runtime.TestServices.Failing;
import dev.rabbitrpc.runtime.TestServices.FailingImpl;
import dev.rabbitrpc.test.RequiresRabbitMq;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Closing a server finishes what it was given; closing a client closes its servers together. */
@RpcBrokerTest
class GracefulCloseIT {
  private final TestBroker broker;

  GracefulCloseIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  /** {@code fast} holds every call until {@link #letGo} opens; {@link #entered} counts calls that began. */
  private static final class Held extends FailingImpl {
    final CountDownLatch entered;
    final CountDownLatch letGo = new CountDownLatch(1);

    Held(int calls) {
      entered = new CountDownLatch(calls);
    }

    @Override public String fast(String value) {
      entered.countDown();
      try {
        if (!letGo.await(30, TimeUnit.SECONDS)) {
          return "never let go";
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "interrupted";
      }
      return value;
    }
  }

  @Test
  @RequiresRabbitMq("a queue's message count leaves out deliveries not yet acknowledged")
  void runsAndAnswersTheRequestsAlreadyPrefetchedWhenClosed() throws Exception {
    String queue = TestBroker.uniqueQueue("close-prefetched");
    try {
      Held held = new Held(1);
      RpcServer server = broker.client(b -> b.workers(1).prefetch(3).shutdownGrace(Duration.ofSeconds(20)))
          .export(Failing.class, held, queue);
      Failing failing = broker.client().proxy(Failing.class, queue);
      List<CompletableFuture<String>> calls = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String value = "call " + i;
        calls.add(CompletableFuture.supplyAsync(() -> failing.fast(value)));
      }
      assertTrue(held.entered.await(10, TimeUnit.SECONDS), "the first call runs");
      TestBroker.await(Duration.ofSeconds(10), "the other two to be prefetched", () -> broker.messageCount(queue) == 0);

      CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
      TestBroker.await(Duration.ofSeconds(10), "the server to stop consuming", () -> broker.consumerCount(queue) == 0);
      held.letGo.countDown();

      for (int i = 0; i < 3; i++) {
        assertEquals("call " + i, calls.get(i).get(15, TimeUnit.SECONDS), "a prefetched request runs, not UNAVAILABLE");
      }
      closing.get(15, TimeUnit.SECONDS);
    } finally {
      broker.deleteQueue(queue);
    }
  }

  /**
   * Both handlers are held until both servers have stopped consuming. Closed one after the other,
   * the second would stop consuming only after the first's grace ran out, and the first's handler
   * would be interrupted; closed together, both finish and are answered.
   */
  @Test
  void closingTheClientDrainsItsServersTogether() throws Exception {
    String first = TestBroker.uniqueQueue("close-first");
    String second = TestBroker.uniqueQueue("close-second");
    try {
      RpcClient servers = broker.client(b -> b.workers(1).shutdownGrace(Duration.ofSeconds(5)));
      Held firstHandler = new Held(1);
      Held secondHandler = new Held(1);
      servers.export(Failing.class, firstHandler, first);
      servers.export(Failing.class, secondHandler, second);
      RpcClient callers = broker.client(b -> b.timeout(Duration.ofSeconds(30)));
      CompletableFuture<String> firstCall = CompletableFuture.supplyAsync(() -> callers.proxy(Failing.class, first).fast("one"));
      CompletableFuture<String> secondCall = CompletableFuture.supplyAsync(() -> callers.proxy(Failing.class, second).fast("two"));
      assertTrue(firstHandler.entered.await(10, TimeUnit.SECONDS) && secondHandler.entered.await(10, TimeUnit.SECONDS));

      long start = System.nanoTime();
      CompletableFuture<Void> closing = CompletableFuture.runAsync(servers::close);
      TestBroker.await(Duration.ofSeconds(20), "both servers to stop consuming",
          () -> broker.consumerCount(first) == 0 && broker.consumerCount(second) == 0);
      firstHandler.letGo.countDown();
      secondHandler.letGo.countDown();

      assertEquals("one", firstCall.get(15, TimeUnit.SECONDS));
      assertEquals("two", secondCall.get(15, TimeUnit.SECONDS));
      closing.get(15, TimeUnit.SECONDS);
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(millis < 5_000, "closed in " + millis + " ms, less than one grace period");
    } finally {
      broker.deleteQueue(first);
      broker.deleteQueue(second);
    }
  }
}
