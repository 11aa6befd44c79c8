package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A caller that gives up tells the servers: a running handler is interrupted, a queued request skipped. */
@RpcBrokerTest
class CancellationIT {
  private final TestBroker broker;

  private final String queue = TestBroker.uniqueQueue("cancel");

  CancellationIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @AfterEach
  void deleteQueue() throws Exception {
    broker.deleteQueue(queue);
  }

  interface Work {
    CompletableFuture<String> hold(String id);

    String holdSync(String id);
  }

  /** Holds each call until released or interrupted, and records what happened. */
  static final class WorkImpl implements Work {
    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch interrupted = new CountDownLatch(1);
    final AtomicInteger runs = new AtomicInteger();

    @Override public CompletableFuture<String> hold(String id) {
      return CompletableFuture.completedFuture(holdSync(id));
    }

    @Override public String holdSync(String id) {
      runs.incrementAndGet();
      started.countDown();
      try {
        release.await(20, TimeUnit.SECONDS);
        return id;
      } catch (InterruptedException e) {
        interrupted.countDown();
        return "interrupted";
      }
    }
  }

  @Test
  void cancellingAnAsyncCallInterruptsTheRunningHandler() throws Exception {
    WorkImpl work = new WorkImpl();
    broker.client().export(Work.class, work, queue);
    RpcClient client = broker.client();
    CompletableFuture<String> call = client.proxy(Work.class, queue).hold("a");
    assertTrue(work.started.await(10, TimeUnit.SECONDS));
    call.cancel(true);
    assertEquals(0, client.stats().pendingCalls(), "the pending entry is gone at once");
    assertTrue(work.interrupted.await(5, TimeUnit.SECONDS), "the handler was interrupted");
  }

  @Test
  void interruptingASyncCallerInterruptsTheRunningHandler() throws Exception {
    WorkImpl work = new WorkImpl();
    broker.client().export(Work.class, work, queue);
    Work proxy = broker.client().proxy(Work.class, queue);
    Thread caller = new Thread(() -> {
      try {
        proxy.holdSync("b");
      } catch (RuntimeException expected) {
        // CANCELLED
      }
    });
    caller.start();
    assertTrue(work.started.await(10, TimeUnit.SECONDS));
    caller.interrupt();
    assertTrue(work.interrupted.await(5, TimeUnit.SECONDS), "the handler was interrupted");
    caller.join(5_000);
  }

  @Test
  void aRequestWhoseCancelNoticeReachedTheServerBeforeItsTurnIsNeverRun() throws Exception {
    WorkImpl work = new WorkImpl();
    RpcServer server = broker.client(b -> b.workers(1)).export(Work.class, work, queue);
    Work proxy = broker.client().proxy(Work.class, queue);
    CompletableFuture<String> first = proxy.hold("first");
    assertTrue(work.started.await(10, TimeUnit.SECONDS));
    CompletableFuture<String> second = proxy.hold("second"); // waits in the queue: one worker, prefetch 1
    second.cancel(true);
    // The notice and the request travel different queues: the promise holds once the notice is in.
    TestBroker.await(Duration.ofSeconds(10), "the server to receive the cancel notice",
        () -> server.cancellations().rememberedCount() == 1);
    work.release.countDown();
    assertEquals("first", first.get(10, TimeUnit.SECONDS));
    TestBroker.await(Duration.ofSeconds(10), "the cancelled request to be answered without running",
        () -> server.stats().cancelledRequests() == 1);
    assertEquals("again", proxy.hold("again").get(10, TimeUnit.SECONDS));
    assertEquals(2, work.runs.get(), "first and again ran; the cancelled one did not");
    assertEquals(0, server.cancellations().rememberedCount(), "the notice is forgotten once used");
    server.close();
  }
}
