package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.api.CallKey;
import dev.rabbitrpc.api.Deduplicated;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Replayed replies end to end (proxy → broker → server → reply): a repeated call key runs once and
 * gets the kept reply; a call whose connection is cut while its server runs it is retried with its
 * key, waits for that run and gets its reply, so the method ran once; a service with such methods is
 * not exported without a store.
 */
@RpcBrokerTest
class ReplayIT {
  @RpcService(queue = "replay.orders")
  interface Orders {
    @Deduplicated
    String place(@CallKey String orderId, int quantity);

    @Deduplicated
    String charge(String account, long cents);
  }

  /** Counts runs; holds charge until {@link #release} once {@link #hold} is set. */
  static final class OrdersImpl implements Orders {
    final AtomicInteger runs = new AtomicInteger();
    final CountDownLatch running = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile boolean hold;

    @Override
    public String place(String orderId, int quantity) {
      return "receipt " + runs.incrementAndGet() + " for " + orderId + " x" + quantity;
    }

    @Override
    public String charge(String account, long cents) {
      int run = runs.incrementAndGet();
      if (hold) {
        running.countDown();
        try {
          assertTrue(release.await(30, TimeUnit.SECONDS), "the test never released the handler");
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
      return "charged " + cents + " to " + account + " (run " + run + ")";
    }
  }

  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("replay");
  private TcpProxy proxy;

  ReplayIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    broker.deleteQueue(queue);
  }

  @Test
  void aRepeatedCallKeyRunsOnceAndGetsTheKeptReply() throws Exception {
    OrdersImpl orders = new OrdersImpl();
    InMemoryReplyStore store = new InMemoryReplyStore();
    RpcServer server = broker.client().server(Orders.class, orders).queue(queue).replyStore(store).export();
    // A second client: the same order placed again, as a restarted caller would; its interceptor
    // sees whether each reply was the kept one.
    Orders first = broker.client().proxy(Orders.class, queue);
    java.util.List<Boolean> replayed = new java.util.concurrent.CopyOnWriteArrayList<>();
    RpcClient restartedClient = broker.client(b -> b.interceptor((call, chain) -> chain.proceed(call)
        .whenComplete((value, failure) -> replayed.add(call.replayed()))));
    Orders restarted = restartedClient.proxy(Orders.class, queue);
    String receipt = first.place("order-17", 2);
    assertEquals("receipt 1 for order-17 x2", receipt);
    assertEquals(receipt, restarted.place("order-17", 2));
    assertEquals(1, orders.runs.get());
    assertEquals(1, server.stats().replayedReplies());
    assertEquals(java.util.List.of(true), replayed, "the interceptor saw a replayed reply");
    assertEquals(1, restartedClient.stats().replayedReplies());
    assertEquals("receipt 2 for order-18 x2", restarted.place("order-18", 2), "another key is another call");
    assertEquals(java.util.List.of(true, false), replayed, "a reply the method made is not replayed");

    RpcException reused = assertThrows(RpcException.class, () -> restarted.place("order-17", 3));
    assertEquals(Code.INVALID_ARGUMENT, reused.code());
    assertTrue(reused.getMessage().contains("order-17 was used before for another request"), reused.getMessage());
    assertEquals(2, orders.runs.get());
  }

  @Test
  void aCallCutOffWhileItRunsIsRetriedWithItsKeyAndGetsThatRunsReply() throws Exception {
    OrdersImpl orders = new OrdersImpl();
    orders.hold = true;
    RpcServer server = broker.client().server(Orders.class, orders).queue(queue)
        .replyStore(new InMemoryReplyStore()).export();
    ConnectionFactory direct = RpcClient.Builder.factoryFor(broker.uri());
    proxy = new TcpProxy(direct.getHost(), direct.getPort());
    RpcClient client = broker.client(b -> b.uri("amqp://guest:guest@127.0.0.1:" + proxy.port())
        .timeout(Duration.ofSeconds(30)));
    Orders orderDesk = client.proxy(Orders.class, queue);
    CompletableFuture<String> charged = CompletableFuture.supplyAsync(() -> orderDesk.charge("acme", 500));
    assertTrue(orders.running.await(20, TimeUnit.SECONDS), "the server runs the call");
    proxy.cut(); // the caller's connection dies with the request in its server's hands

    // The client retries with the call's key; the server holds that retry until the first run ends
    // (or, if the retry comes after, replays its kept reply): either way the method runs once.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (client.stats().retries() == 0 && System.nanoTime() - until < 0) {
      Thread.sleep(10);
    }
    assertTrue(client.stats().retries() > 0, "the client retried the deduplicated call after the cut");
    orders.release.countDown();
    assertEquals("charged 500 to acme (run 1)", charged.get(30, TimeUnit.SECONDS));
    assertEquals(1, orders.runs.get(), "run once, though sent twice");
    assertEquals(1, server.stats().replayedReplies());
  }

  @Test
  void aServiceWithDeduplicatedMethodsIsNotExportedWithoutAStore() {
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> broker.client().server(Orders.class, new OrdersImpl()).queue(queue).export());
    assertTrue(refused.getMessage().contains("is @Deduplicated: export Orders with a reply store"),
        refused.getMessage());
  }
}
