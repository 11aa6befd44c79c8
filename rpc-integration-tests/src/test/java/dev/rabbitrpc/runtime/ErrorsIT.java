package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.TestServices.Failing;
import dev.rabbitrpc.runtime.TestServices.FailingImpl;
import dev.rabbitrpc.runtime.TestServices.NotFoundException;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How failures reach the caller: typed, at once where possible, never as UndeclaredThrowableException. */
@RpcBrokerTest
class ErrorsIT {
  private final TestBroker broker;

  private final FailingImpl implementation = new FailingImpl();
  private RpcClient client;
  private String queue;
  private Failing failing;

  ErrorsIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @BeforeEach
  void exportService() {
    queue = TestBroker.uniqueQueue("failing");
    client = broker.client();
    client.export(Failing.class, implementation, queue);
    failing = client.proxy(Failing.class, queue);
  }

  @AfterEach
  void releaseAndDelete() throws Exception {
    implementation.release.countDown();
    broker.deleteQueue(queue);
  }

  @Test
  void rethrowsADeclaredRemoteExceptionAsItsType() {
    NotFoundException e = assertThrows(NotFoundException.class, () -> failing.find("k1"));
    assertEquals("no entry k1", e.getMessage());
    RpcException cause = assertInstanceOf(RpcException.class, e.getCause());
    assertEquals(Code.APPLICATION_ERROR, cause.code());
  }

  @Test
  void failsAnAsyncCallWithTheDeclaredExceptionType() throws Exception {
    CompletableFuture<String> future = failing.findAsync("k2");
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
    assertInstanceOf(NotFoundException.class, e.getCause());
    assertEquals("no entry k2", e.getCause().getMessage());
  }

  @Test
  void reportsAnUndeclaredHandlerExceptionAsApplicationErrorWithRemoteTypeAndMessage() {
    RpcException e = assertThrows(RpcException.class, () -> failing.crash("boom"));
    assertEquals(Code.APPLICATION_ERROR, e.code());
    assertEquals(IllegalStateException.class.getName(), e.remoteType());
    assertEquals("Failing.crash threw java.lang.IllegalStateException: boom", e.getMessage());
    assertTrue(e.getStackTrace().length > 0, "the local stack trace is kept");
    for (StackTraceElement element : e.getStackTrace()) {
      assertTrue(!element.getClassName().equals(FailingImpl.class.getName()), "no remote frames: " + element);
    }
  }

  @Test
  void passesOnTheCodeOfAnRpcExceptionThrownByAHandler() {
    RpcException e = assertThrows(RpcException.class, () -> failing.refuse("n must be positive"));
    assertEquals(Code.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().endsWith("n must be positive"), e.getMessage());
  }

  @Test
  void failsWithDeadlineExceededWhenServerIsSlowerThanTimeout() {
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> failing.slow(5_000));
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Code.DEADLINE_EXCEEDED, e.code());
    // At the deadline (300 ms; 290 allows for ms rounding): never before it, and long before the handler's 5 s answer. The
    // caller wakes at the deadline; 2 s more is what a loaded machine may take to schedule it.
    assertTrue(elapsedMillis >= 290 && elapsedMillis < 300 + 2_000, "failed after " + elapsedMillis + " ms");
    assertEquals(0, client.stats().pendingCalls());
  }

  @Test
  void failsAnAsyncCallAtItsDeadline() {
    CompletableFuture<String> future = failing.slowAsync(5_000);
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
    assertEquals(Code.DEADLINE_EXCEEDED, assertInstanceOf(RpcException.class, e.getCause()).code());
    assertEquals(0, client.stats().pendingCalls());
  }

  @Test
  void dropsAndCountsALateReplyAfterTheDeadline() throws Exception {
    // The handler holds the call until the caller has given up, so its reply is late for certain.
    // (A handler merely slower than the deadline races it: a request that reaches a cold server
    // after its deadline is not run, and RabbitMQ drops it unanswered at its expiration.)
    // 3 s: time enough for the request to reach the server on a loaded machine, so the handler runs.
    RpcClient caller = broker.client(b -> b.timeout(Duration.ofSeconds(3)));
    Failing held = caller.proxy(Failing.class, queue);
    RpcException e = assertThrows(RpcException.class, () -> held.held("late"));
    assertEquals(Code.DEADLINE_EXCEEDED, e.code());
    assertTrue(implementation.running.await(10, TimeUnit.SECONDS), "the server ran the request");
    assertEquals(0, caller.stats().droppedReplies());
    implementation.release.countDown(); // the reply now comes after the caller's deadline
    // The reply thread counts a dropped reply, then whether it was a late one: both awaited, or the
    // check could fall between the two (it did, once in a CI run).
    TestBroker.await(Duration.ofSeconds(10), "the late reply, dropped and known as late (its call ended at its deadline)",
        () -> caller.stats().droppedReplies() == 1 && caller.stats().lateReplies() == 1);
    assertEquals("ok", held.fast("ok"));
  }

  @Test
  void failsAtOnceWithUnavailableWhenNoQueueTakesTheRequest() {
    assertEquals("up", failing.fast("up")); // connected: the window below holds only the call
    Failing nowhere = client.proxy(Failing.class, TestBroker.uniqueQueue("no-such-queue"));
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> nowhere.fast("x"));
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Code.UNAVAILABLE, e.code());
    // The broker's return failed it (one round trip), not the consumer probe (after 500 ms) ...
    assertTrue(e.getMessage().contains("no queue took the request"), e.getMessage());
    // ... and not the deadline: half of it tells the two apart on a loaded machine.
    assertTrue(elapsedMillis < client.timeout().toMillis() / 2, "took " + elapsedMillis + " ms");
  }

  @Test
  void cancellingAnAsyncCallRemovesItsPendingEntryAtOnce() {
    CompletableFuture<String> future = failing.heldAsync("cancelled"); // pending until cancelled
    assertEquals(1, client.stats().pendingCalls());
    assertTrue(future.cancel(true));
    assertEquals(0, client.stats().pendingCalls());
  }

  @Test
  void interruptingASyncCallFailsItAsCancelledAndRemovesItsEntry() throws Exception {
    Failing patient = client.proxy(Failing.class, queue);
    java.util.concurrent.atomic.AtomicReference<Throwable> thrown = new java.util.concurrent.atomic.AtomicReference<>();
    Thread caller = new Thread(() -> {
      try {
        patient.held("interrupted"); // held by the server: still waiting when interrupted
      } catch (Throwable t) {
        thrown.set(t);
      }
    });
    caller.start();
    assertTrue(implementation.running.await(10, TimeUnit.SECONDS), "the call reached the server");
    caller.interrupt();
    caller.join(10_000);
    assertTrue(!caller.isAlive(), "the interrupted caller returned");
    RpcException e = assertInstanceOf(RpcException.class, thrown.get());
    assertEquals(Code.CANCELLED, e.code());
    assertEquals(0, client.stats().pendingCalls());
  }

  @Test
  void closingTheClientFailsCallsInFlightWithCancelled() throws Exception {
    // A caller of its own: closing the client that serves would wait for the held handler.
    RpcClient caller = broker.client();
    Failing calling = caller.proxy(Failing.class, queue);
    CompletableFuture<String> future = calling.heldAsync("in flight"); // held by the server: in flight at close
    assertTrue(implementation.running.await(10, TimeUnit.SECONDS), "the call reached the server");
    caller.close();
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
    assertEquals(Code.CANCELLED, assertInstanceOf(RpcException.class, e.getCause()).code());
    RpcException after = assertThrows(RpcException.class, () -> calling.fast("x"));
    assertEquals(Code.CANCELLED, after.code());
  }

  @Test
  void failsWithUnavailableWhenTheBrokerCannotBeReached() {
    RpcClient unreachable = broker.client(b -> b.uri("amqp://guest:secret-password@127.0.0.1:1"));
    Failing proxy = unreachable.proxy(Failing.class, queue);
    RpcException e = assertThrows(RpcException.class, () -> proxy.fast("x"));
    assertEquals(Code.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("127.0.0.1:1"), e.getMessage());
    assertTrue(!e.getMessage().contains("secret-password") && !unreachable.toString().contains("secret-password"),
        "credentials never shown");
  }
}
