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
   * A call its server is still running when the server is closed gets its value: the handler is
   * held until the caller's consumer probe has looked at the queue, twice, while nothing consumed it
   * (the server had stopped consuming and was draining). Before the server told its callers that it
   * had their requests ({@code taken} notices), the probe failed such a call UNAVAILABLE ("no server
   * consumes queue") half a second into the drain, although the server ran it to its end.
   */
  @Test
  void aCallRunningWhenItsServerClosesGetsItsValueAlthoughNothingConsumesTheQueue() throws Exception {
    String queue = TestBroker.uniqueQueue("close-running");
    try {
      Held held = new Held(1);
      RpcServer server = broker.client(b -> b.workers(1).shutdownGrace(Duration.ofSeconds(30)))
          .export(Failing.class, held, queue);
      RpcClient callers = broker.client(b -> b.timeout(Duration.ofSeconds(40)));
      CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> callers.proxy(Failing.class, queue).fast("kept"));
      assertTrue(held.entered.await(10, TimeUnit.SECONDS), "the call runs");

      CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
      TestBroker.await(Duration.ofSeconds(10), "the server to stop consuming", () -> broker.consumerCount(queue) == 0);
      long probes = callers.stats().consumerProbes();
      TestBroker.await(Duration.ofSeconds(20), "the caller's probe to find no consumer, twice",
          () -> callers.stats().consumerProbes() >= probes + 2);
      assertTrue(!call.isDone(), "the call still waits for its reply: " + call);
      held.letGo.countDown();

      assertEquals("kept", call.get(15, TimeUnit.SECONDS), "the value, not UNAVAILABLE");
      closing.get(15, TimeUnit.SECONDS);
    } finally {
      broker.deleteQueue(queue);
    }
  }

  /**
   * A call whose handler is still running when its server's grace is over (the handler ignores the
   * interrupt) cannot be answered any more: its channel is closed and the request goes back to the
   * queue, which nothing consumes. The caller's probe then fails it UNAVAILABLE, saying that the
   * server took the request and that it may have run — after that server's grace, not before.
   */
  @Test
  void aCallStillRunningWhenTheGraceEndsFailsSayingTheServerTookIt() throws Exception {
    String queue = TestBroker.uniqueQueue("close-beyond-grace");
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    FailingImpl stubborn = new FailingImpl() {
      @Override public String fast(String value) {
        entered.countDown();
        boolean interrupted = false;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (release.getCount() > 0 && System.nanoTime() < end) {
          try {
            release.await(100, TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            interrupted = true; // a handler that does not stop when interrupted
          }
        }
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
        return value;
      }
    };
    try {
      Duration grace = Duration.ofSeconds(1);
      RpcServer server = broker.client(b -> b.workers(1).shutdownGrace(grace)).export(Failing.class, stubborn, queue);
      RpcClient callers = broker.client(b -> b.timeout(Duration.ofSeconds(40)));
      CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> callers.proxy(Failing.class, queue).fast("x"));
      assertTrue(entered.await(10, TimeUnit.SECONDS), "the call runs");

      long closing = System.nanoTime();
      server.close(); // returns once the grace is over, the handler still running
      java.util.concurrent.ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(
          java.util.concurrent.ExecutionException.class, () -> call.get(20, TimeUnit.SECONDS));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closing);
      dev.rabbitrpc.api.RpcException cause = org.junit.jupiter.api.Assertions.assertInstanceOf(
          dev.rabbitrpc.api.RpcException.class, failed.getCause());
      assertEquals(dev.rabbitrpc.api.RpcException.Code.UNAVAILABLE, cause.code(), cause.getMessage());
      assertTrue(cause.getMessage().contains("the server that took the request closed without answering it"),
          cause.getMessage());
      assertTrue(millis >= grace.toMillis(), "not before the server's grace was over: " + millis + " ms");
    } finally {
      release.countDown();
      broker.deleteQueue(queue);
    }
  }

  /**
   * The same with the server in another JVM, closed as a deployment would stop it (its client closed
   * gracefully) a moment into a call of 6 s: the caller's probe, which backs off to at most 4 s
   * while the queue has a consumer and then looks every 100 ms, finds no consumer while the server
   * drains, and the call gets its value.
   */
  @Test
  void aCallRunningWhenItsServerInAnotherJvmClosesGetsItsValue() throws Exception {
    String queue = TestBroker.uniqueQueue("close-child");
    java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> executions =
        new java.util.concurrent.ConcurrentHashMap<>();
    try (FaultServerMain.Child child = FaultServerMain.start(executions, Duration.ofSeconds(30), broker.uri(), queue)) {
      RpcClient callers = broker.client(b -> b.timeout(Duration.ofSeconds(40)));
      Ledger ledger = callers.proxy(Ledger.class, queue);
      CompletableFuture<Long> call = CompletableFuture.supplyAsync(() -> ledger.slowAdd("slow", 41, 6_000));
      TestBroker.await(Duration.ofSeconds(10), "the server to begin the call", () -> child.begun.contains("slow"));

      child.closeGracefully();
      TestBroker.await(Duration.ofSeconds(10), "the server to stop consuming", () -> broker.consumerCount(queue) == 0);
      long probes = callers.stats().consumerProbes();

      assertEquals(42L, call.get(20, TimeUnit.SECONDS), "the value, not UNAVAILABLE");
      assertTrue(callers.stats().consumerProbes() > probes, "the probe looked while the server drained");
      assertTrue(child.process.waitFor(20, TimeUnit.SECONDS), "the server JVM exits once drained");
      assertEquals(1, executions.get("slow").get(), "run once");
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
