package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.Idempotent;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every future a proxy returns completes, whatever goes wrong around it. */
@RpcBrokerTest
class FuturesCompleteIT {
  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("futures");

  FuturesCompleteIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @AfterEach
  void deleteQueue() throws Exception {
    broker.deleteQueue(queue);
  }

  interface Async {
    CompletableFuture<String> echo(String value);

    @Idempotent
    CompletableFuture<String> read(String key);
  }

  static final class AsyncImpl implements Async {
    @Override public CompletableFuture<String> echo(String value) {
      return CompletableFuture.completedFuture(value);
    }

    @Override public CompletableFuture<String> read(String key) {
      return CompletableFuture.completedFuture(key);
    }
  }

  /** An application executor that is shut down, or saturated: it refuses every task. */
  private static final class Refusing implements Executor {
    final AtomicInteger refused = new AtomicInteger();

    @Override public void execute(Runnable command) {
      refused.incrementAndGet();
      throw new RejectedExecutionException("saturated (test)");
    }
  }

  @Test
  void anExecutorThatRefusesWorkDoesNotLeaveTheFuturePendingNorBreakTheClient() throws Exception {
    broker.client().export(Async.class, new AsyncImpl(), queue);
    Refusing executor = new Refusing();
    RpcClient client = broker.client(b -> b.executor(executor));
    Async async = client.proxy(Async.class, queue);

    assertEquals("one", async.echo("one").get(10, TimeUnit.SECONDS));
    assertTrue(executor.refused.get() > 0, "the executor was asked");
    // The refusal did not close the call channel: the next calls are answered too.
    assertEquals("two", async.echo("two").get(10, TimeUnit.SECONDS));
    assertEquals(0, client.stats().pendingCalls());
  }

  @Test
  void anExecutorThatRefusesWorkStillGetsTheDeadlineToTheCaller() throws Exception {
    TestServices.FailingImpl implementation = new TestServices.FailingImpl();
    broker.client().export(TestServices.Failing.class, implementation, queue);
    RpcClient client = broker.client(b -> b.executor(new Refusing()).timeout(Duration.ofMillis(500)));
    CompletableFuture<String> held = client.proxy(TestServices.Failing.class, queue).heldAsync("late");
    ExecutionException failure = assertThrows(ExecutionException.class, () -> held.get(10, TimeUnit.SECONDS));
    assertEquals(Code.DEADLINE_EXCEEDED, assertInstanceOf(RpcException.class, failure.getCause()).code());
    implementation.release.countDown();
  }

  @Test
  void closingTheClientCompletesAnIdempotentAsyncCallBetweenRetries() throws Exception {
    // Nothing serves this queue: each attempt comes back unroutable (UNAVAILABLE) and is retried
    // after a backoff, until the deadline; most of the time it is between attempts.
    RpcClient client = broker.client(b -> b.timeout(Duration.ofSeconds(60)));
    TestBroker.connect(client);
    CompletableFuture<String> call = client.proxy(Async.class, TestBroker.uniqueQueue("nobody")).read("k");
    client.close();
    ExecutionException failure = assertThrows(ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
    assertEquals(Code.CANCELLED, assertInstanceOf(RpcException.class, failure.getCause()).code());
  }
}
