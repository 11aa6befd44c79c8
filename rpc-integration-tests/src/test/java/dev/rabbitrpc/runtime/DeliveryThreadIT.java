package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link ServerBuilder#runOnDeliveryThread}, end to end (client proxy, broker, server, reply): a
 * sequential caller of short handlers is served on the thread that delivered its request once the
 * server judged it so ({@link InlinePolicy}); concurrent callers go back to the workers; without the
 * setting, every request runs on a worker however sequential the caller.
 */
@RpcBrokerTest
class DeliveryThreadIT {
  private static final String WORKER = "rabbit-rpc-worker-";
  private final TestBroker broker;

  DeliveryThreadIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  /** Says which thread ran it. */
  interface WhereRun {
    String threadName();
  }

  private static final WhereRun IMPL = () -> Thread.currentThread().getName();

  /** {@code calls} sequential calls; how many of them ran on a worker. */
  private static int onWorkers(WhereRun proxy, int calls) {
    int workers = 0;
    for (int i = 0; i < calls; i++) {
      if (proxy.threadName().startsWith(WORKER)) {
        workers++;
      }
    }
    return workers;
  }

  @Test
  void aSequentialCallerOfShortHandlersIsServedOnTheDeliveringThreadAndConcurrentOnesOnTheWorkers() throws Exception {
    String queue = TestBroker.uniqueQueue("delivery-thread");
    RpcClient client = broker.client();
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try (RpcServer server = client.server(WhereRun.class, IMPL).queue(queue).runOnDeliveryThread(true).export()) {
      WhereRun proxy = client.proxy(WhereRun.class, queue);
      // FlowControl's run of short handlers, then InlinePolicy's quiet run; a handler slowed by the
      // machine (a collection, say) starts the run again, so this waits for a whole batch served there.
      TestBroker.await(Duration.ofSeconds(60), "a batch of sequential calls all served on the delivering thread",
          () -> onWorkers(proxy, 200) == 0);

      // Concurrent callers: a delivery that finds another unsettled, or one that waited behind a
      // request run on the delivering thread, goes to the workers.
      TestBroker.await(Duration.ofSeconds(30), "concurrent calls to be served on the workers", () -> {
        List<CompletableFuture<Integer>> bursts = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
          bursts.add(CompletableFuture.supplyAsync(() -> onWorkers(proxy, 50), callers));
        }
        int workers = 0;
        for (CompletableFuture<Integer> burst : bursts) {
          workers += burst.orTimeout(30, TimeUnit.SECONDS).join(); // each call is bounded by its deadline too
        }
        return workers > 0;
      });
      assertEquals(RpcServer.State.SERVING, server.state());
    } finally {
      callers.shutdownNow();
      broker.deleteQueue(queue);
    }
  }

  @Test
  void byDefaultEveryRequestRunsOnAWorker() throws Exception {
    String queue = TestBroker.uniqueQueue("workers-only");
    RpcClient client = broker.client();
    try (RpcServer server = client.server(WhereRun.class, IMPL).queue(queue).export()) {
      WhereRun proxy = client.proxy(WhereRun.class, queue);
      int calls = 2 * (FlowControl.SHORT_RUN + InlinePolicy.QUIET_RUN);
      assertEquals(calls, onWorkers(proxy, calls), "every call on a worker");
      assertEquals(RpcServer.State.SERVING, server.state());
    } finally {
      broker.deleteQueue(queue);
    }
  }
}
