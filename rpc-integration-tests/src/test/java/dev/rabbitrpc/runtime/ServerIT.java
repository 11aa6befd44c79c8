package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.TestServices.Failing;
import dev.rabbitrpc.runtime.TestServices.FailingImpl;
import dev.rabbitrpc.runtime.TestServices.Types;
import dev.rabbitrpc.runtime.TestServices.TypesImpl;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The server's life: workers, prefetch, sharing a queue, closing (queue declaration: {@link QueueDeclarationIT}). */
@RpcBrokerTest
class ServerIT {
  private final TestBroker broker;

  ServerIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  /**
   * A server whose {@code fast} holds every call until {@link #letGo} opens, counting the calls
   * running; a new latch holds them again.
   */
  private static final class Gate extends FailingImpl {
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger maxRunning = new AtomicInteger();
    volatile CountDownLatch letGo = new CountDownLatch(1);

    @Override public String fast(String value) {
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        letGo.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      running.decrementAndGet();
      return value;
    }
  }

  /** Calling threads, as many as a test's calls at once (the common pool may have fewer). */
  private final ExecutorService callingThreads = Executors.newCachedThreadPool();

  @AfterEach
  void stopCallingThreads() {
    callingThreads.shutdownNow();
  }

  /** Starts {@code count} calls of {@code fast("v0")}, {@code fast("v1")}… at once, each on a thread of its own. */
  private List<CompletableFuture<String>> callFast(Failing failing, int count) {
    List<CompletableFuture<String>> calls = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int n = i;
      calls.add(CompletableFuture.supplyAsync(() -> failing.fast("v" + n), callingThreads));
    }
    return calls;
  }

  private static void assertEchoed(List<CompletableFuture<String>> calls) throws Exception {
    for (int i = 0; i < calls.size(); i++) {
      assertEquals("v" + i, calls.get(i).get(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void runsAsManyCallsAtOnceAsItHasWorkers() throws Exception {
    String queue = TestBroker.uniqueQueue("workers");
    Gate gate = new Gate();
    RpcClient client = broker.client(b -> b.workers(3));
    client.export(Failing.class, gate, queue);
    Failing failing = client.proxy(Failing.class, queue);
    try {
      List<CompletableFuture<String>> calls = callFast(failing, 6);
      TestBroker.await(Duration.ofSeconds(10), "three calls to run", () -> gate.running.get() == 3);
      // a new server's prefetch = workers: the other three wait in the queue, where another server could take them.
      // (Qpid counts delivered, unacknowledged messages as in the queue too: only RabbitMQ can show it.)
      if (broker.isRabbitMq()) {
        TestBroker.await(Duration.ofSeconds(10), "three requests to wait in the queue",
            () -> broker.messageCount(queue) == 3);
      }
      gate.letGo.countDown();
      assertEchoed(calls);
      assertEquals(3, gate.maxRunning.get());
    } finally {
      gate.letGo.countDown();
      broker.deleteQueue(queue);
    }
  }

  @Test
  void eachWorkerHoldsItsPrefetchOfRequests() throws Exception {
    String queue = TestBroker.uniqueQueue("prefetch");
    Gate gate = new Gate();
    RpcClient client = broker.client(b -> b.workers(1).prefetch(3));
    client.export(Failing.class, gate, queue);
    Failing failing = client.proxy(Failing.class, queue);
    try {
      List<CompletableFuture<String>> calls = callFast(failing, 5);
      TestBroker.await(Duration.ofSeconds(10), "one call to run", () -> gate.running.get() == 1);
      if (broker.isRabbitMq()) {
        // one running and two held by the worker; the other two wait in the queue for any server
        TestBroker.await(Duration.ofSeconds(10), "two requests to wait in the queue",
            () -> broker.messageCount(queue) == 2);
      }
      assertEquals(1, gate.running.get(), "one worker runs one request at a time");
      gate.letGo.countDown();
      assertEchoed(calls);
      assertEquals(1, gate.maxRunning.get(), "one worker runs one request at a time");
    } finally {
      gate.letGo.countDown();
      broker.deleteQueue(queue);
    }
  }

  /**
   * Handlers run on the connection's consumer threads. Handlers that all wait for nested calls on
   * the same client must not take every thread the replies of those nested calls need: with
   * amqp-client's default pool (2 x cores threads) this many such handlers would wait until their deadline.
   */
  /**
   * The default prefetch adapts (FlowControl): fair (= workers) at the start, deep (8 x) once
   * a run of requests were all short, fair again after a slow one — the consumer replaced each time
   * with requests in flight — and the broker holds to each: requests beyond the prefetch wait in
   * the queue, where another server could take them.
   */
  @Test
  void theDefaultPrefetchGoesDeepWhileHandlersAreShortAndFairAgainAfterASlowOne() throws Exception {
    String queue = TestBroker.uniqueQueue("adaptive");
    Gate gate = new Gate();
    gate.letGo.countDown(); // short calls first
    RpcServer server = broker.client(b -> b.workers(2)).export(Failing.class, gate, queue);
    Failing failing = broker.client().proxy(Failing.class, queue);
    try {
      assertEquals(2, server.prefetchNow());
      // Short calls until the policy has seen its run of them (a request slowed by the machine starts it again).
      TestBroker.await(Duration.ofSeconds(60), "the prefetch to go deep", () -> {
        for (int i = 0; i < 100; i++) {
          assertEquals("x", failing.fast("x"));
        }
        return server.prefetchNow() == 2 * FlowControl.DEPTH;
      });

      gate.letGo = new CountDownLatch(1);
      List<CompletableFuture<String>> deep = callFast(failing, 20);
      TestBroker.await(Duration.ofSeconds(10), "two calls to run", () -> gate.running.get() == 2);
      if (broker.isRabbitMq()) { // Qpid counts delivered, unacknowledged messages as in the queue too
        TestBroker.await(Duration.ofSeconds(10), "the server to hold 16, the other 4 to wait in the queue",
            () -> broker.messageCount(queue) == 4);
      }
      gate.letGo.countDown();
      assertEchoed(deep);
      // A handler of 50 ms is slow (if the held ones were not already): the prefetch is fair again.
      assertEquals("slept", failing.slow(50));
      TestBroker.await(Duration.ofSeconds(10), "the prefetch to be fair again", () -> server.prefetchNow() == 2);

      gate.letGo = new CountDownLatch(1);
      List<CompletableFuture<String>> fair = callFast(failing, 6);
      TestBroker.await(Duration.ofSeconds(10), "two calls to run", () -> gate.running.get() == 2);
      if (broker.isRabbitMq()) {
        TestBroker.await(Duration.ofSeconds(10), "the server to hold 2, the other 4 to wait in the queue",
            () -> broker.messageCount(queue) == 4);
      }
      gate.letGo.countDown();
      assertEchoed(fair);
      assertEquals(RpcServer.State.SERVING, server.state());
    } finally {
      gate.letGo.countDown();
      broker.deleteQueue(queue);
    }
  }

  /**
   * Many short calls at once on the server's defaults, the prefetch going deep on the way (a
   * consumer replaced by another while requests are in flight): every call gets its own answer,
   * every request runs once, and none is left unacknowledged — after close, nothing is back in
   * the queue.
   */
  @Test
  void manyCallsAtOnceAreEachAnsweredAndEveryRequestIsSettled() throws Exception {
    String queue = TestBroker.uniqueQueue("settled");
    AtomicInteger runs = new AtomicInteger();
    RpcServer server = broker.client().export(Failing.class, new FailingImpl() {
      @Override public String fast(String value) {
        runs.incrementAndGet();
        return value;
      }
    }, queue);
    Failing failing = broker.client().proxy(Failing.class, queue);
    ExecutorService thirtyTwo = Executors.newFixedThreadPool(32);
    try {
      int count = 3000;
      List<java.util.concurrent.Future<String>> calls = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String value = "v" + i;
        calls.add(thirtyTwo.submit(() -> failing.fast(value)));
      }
      for (int i = 0; i < count; i++) {
        assertEquals("v" + i, calls.get(i).get(30, TimeUnit.SECONDS));
      }
      assertEquals(count, runs.get(), "each request ran once");
      assertEquals(RpcServer.State.SERVING, server.state());
      server.close();
      assertEquals(0, broker.messageCount(queue), "no request was left unacknowledged");
      assertEquals(count, runs.get());
    } finally {
      thirtyTwo.shutdownNow();
      broker.deleteQueue(queue);
    }
  }

  @Test
  void handlersWaitingForNestedCallsOnTheSameClientNeverStarveItsReplies() throws Exception {
    String outer = TestBroker.uniqueQueue("outer");
    String inner = TestBroker.uniqueQueue("inner");
    int handlers = 2 * Runtime.getRuntime().availableProcessors() + 2;
    ExecutorService callers = Executors.newFixedThreadPool(handlers);
    CountDownLatch allRunning = new CountDownLatch(handlers);
    RpcClient client = broker.client(b -> b.workers(handlers));
    broker.client().export(Types.class, new TypesImpl(), inner);
    Types nested = client.proxy(Types.class, inner);
    client.export(Types.class, new TypesImpl() {
      @Override public int add(int a, int b) {
        allRunning.countDown();
        try {
          allRunning.await(10, TimeUnit.SECONDS); // every worker busy before any nested call
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return nested.add(a, b) + 1000;
      }
    }, outer);
    Types types = client.proxy(Types.class, outer);
    try {
      List<CompletableFuture<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < handlers; i++) {
        int n = i;
        calls.add(CompletableFuture.supplyAsync(() -> types.add(n, 1), callers));
      }
      for (int i = 0; i < handlers; i++) {
        assertEquals(1000 + i + 1, calls.get(i).get(20, TimeUnit.SECONDS));
      }
    } finally {
      callers.shutdownNow();
      broker.deleteQueue(outer);
      broker.deleteQueue(inner);
    }
  }

  @Test
  void serversOnOneQueueShareTheLoad() throws Exception {
    String queue = TestBroker.uniqueQueue("shared");
    Set<String> served = ConcurrentHashMap.newKeySet();
    RpcClient first = broker.client(b -> b.workers(1));
    RpcClient second = broker.client(b -> b.workers(1));
    CountDownLatch bothBusy = new CountDownLatch(2);
    first.export(Failing.class, namedServer("first", served, bothBusy), queue);
    second.export(Failing.class, namedServer("second", served, bothBusy), queue);
    Failing failing = broker.client().proxy(Failing.class, queue);
    try {
      CompletableFuture<String> a = CompletableFuture.supplyAsync(() -> failing.fast("a"));
      CompletableFuture<String> b = CompletableFuture.supplyAsync(() -> failing.fast("b"));
      assertEquals("a", a.get(10, TimeUnit.SECONDS));
      assertEquals("b", b.get(10, TimeUnit.SECONDS));
      assertEquals(Set.of("first", "second"), served);
    } finally {
      broker.deleteQueue(queue);
    }
  }

  private static FailingImpl namedServer(String name, Set<String> served, CountDownLatch bothBusy) {
    return new FailingImpl() {
      @Override public String fast(String value) {
        served.add(name);
        bothBusy.countDown();
        try {
          // each server holds its call until the other has one too: proves both took one
          bothBusy.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return value;
      }
    };
  }

  @Test
  void closeFinishesRunningCallsThenStopsConsuming() throws Exception {
    String queue = TestBroker.uniqueQueue("drain");
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch letGo = new CountDownLatch(1);
    FailingImpl slowServer = new FailingImpl() {
      @Override public String fast(String value) {
        started.countDown();
        try {
          letGo.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return value;
      }
    };
    RpcServer server = broker.client().export(Failing.class, slowServer, queue);
    Failing failing = broker.client().proxy(Failing.class, queue);
    try {
      CompletableFuture<String> running = CompletableFuture.supplyAsync(() -> failing.fast("finished"));
      assertTrue(started.await(10, TimeUnit.SECONDS));
      CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
      TestBroker.await(Duration.ofSeconds(10), "the consumer to be cancelled",
          () -> broker.consumerCount(queue) == 0);
      assertFalse(closing.isDone(), "close waits for the running call");
      letGo.countDown();
      assertEquals("finished", running.get(10, TimeUnit.SECONDS));
      closing.get(10, TimeUnit.SECONDS);
      // closed: no consumer any more, so a new request fails fast instead of waiting for its deadline
      RpcException e = assertThrows(RpcException.class, () -> failing.fast("nobody"));
      assertEquals(Code.UNAVAILABLE, e.code());
    } finally {
      letGo.countDown();
      broker.deleteQueue(queue);
    }
  }

  @Test
  void rejectsAnImplementationOfAnotherInterface() {
    RpcClient client = broker.client();
    @SuppressWarnings({"unchecked", "rawtypes"})
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> client.export((Class) Types.class, new FailingImpl()));
    assertTrue(e.getMessage().contains("does not implement"), e.getMessage());
  }
}
