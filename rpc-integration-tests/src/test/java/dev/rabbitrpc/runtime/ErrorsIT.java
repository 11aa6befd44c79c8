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
    assertTrue(elapsedMillis >= 290 && elapsedMillis < 1_300, "failed after " + elapsedMillis + " ms");
    assertEquals(0, client.pendingCalls());
  }

  @Test
  void failsAnAsyncCallAtItsDeadline() {
    CompletableFuture<String> future = failing.slowAsync(5_000);
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
    assertEquals(Code.DEADLINE_EXCEEDED, assertInstanceOf(RpcException.class, e.getCause()).code());
    assertEquals(0, client.pendingCalls());
  }

  @Test
  void dropsAndCountsALateReplyAfterTheDeadline() throws Exception {
    assertThrows(RpcException.class, () -> failing.slow(700));
    // The handler still replies at 700 ms; nobody waits for it any more.
    TestBroker.await(java.time.Duration.ofSeconds(5), "the late reply", () -> client.droppedReplies() == 1);
    assertEquals("ok", failing.fast("ok"));
  }

  @Test
  void failsAtOnceWithUnavailableWhenNoQueueTakesTheRequest() {
    Failing nowhere = client.proxy(Failing.class, TestBroker.uniqueQueue("no-such-queue"));
    long start = System.nanoTime();
    RpcException e = assertThrows(RpcException.class, () -> nowhere.fast("x"));
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Code.UNAVAILABLE, e.code());
    assertTrue(elapsedMillis < 1_000, "took " + elapsedMillis + " ms");
    assertTrue(e.getMessage().contains("no queue took the request"), e.getMessage());
  }

  @Test
  void cancellingAnAsyncCallRemovesItsPendingEntryAtOnce() {
    CompletableFuture<String> future = failing.slowAsync(5_000);
    assertEquals(1, client.pendingCalls());
    assertTrue(future.cancel(true));
    assertEquals(0, client.pendingCalls());
  }

  @Test
  void interruptingASyncCallFailsItAsCancelledAndRemovesItsEntry() throws Exception {
    Failing patient = client.proxy(Failing.class, queue);
    java.util.concurrent.atomic.AtomicReference<Throwable> thrown = new java.util.concurrent.atomic.AtomicReference<>();
    Thread caller = new Thread(() -> {
      try {
        patient.slow(5_000);
      } catch (Throwable t) {
        thrown.set(t);
      }
    });
    caller.start();
    TestBroker.await(java.time.Duration.ofSeconds(5), "the call to be pending", () -> client.pendingCalls() == 1);
    caller.interrupt();
    caller.join(5_000);
    RpcException e = assertInstanceOf(RpcException.class, thrown.get());
    assertEquals(Code.CANCELLED, e.code());
    assertEquals(0, client.pendingCalls());
  }

  @Test
  void closingTheClientFailsCallsInFlightWithCancelled() {
    CompletableFuture<String> future = failing.slowAsync(5_000);
    client.close();
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
    assertEquals(Code.CANCELLED, assertInstanceOf(RpcException.class, e.getCause()).code());
    RpcException after = assertThrows(RpcException.class, () -> failing.fast("x"));
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
