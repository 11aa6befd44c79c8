package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.api.Idempotent;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.Timeout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Timer hygiene: a timer task only decides; the retry it decides on runs on a {@code rpc-client-work}
 * thread, so an interceptor that blocks inside a retried call delays that call only, never another
 * call's deadline. No broker: the connection is a mock that takes every publish and never replies.
 */
class TimerHygieneTest {
  /** Two async methods: one retried, one whose deadline must not wait for the first's interceptor. */
  interface Svc {
    @Idempotent
    @Timeout(10_000)
    CompletableFuture<String> retried();

    @Timeout(200)
    CompletableFuture<String> quick();
  }

  /**
   * How late the other call's DEADLINE_EXCEEDED may come. The property itself needs no clock: the
   * deadline must fire while the interceptor is still blocked (it blocks until the test releases it,
   * after the deadline), which a timer thread running the retry could never do. This bound only
   * catches a gross delay; it is wide because a loaded 2-core machine can hold any thread for
   * hundreds of milliseconds. Measured lateness is printed (a few ms on a quiet machine).
   */
  private static final long LATE_BOUND_MILLIS = 1_000;

  private static ConnectionFactory silentBroker() throws Exception {
    return MockedBroker.factory(MockedBroker.connection(MockedBroker.channel()));
  }

  @Test
  void anInterceptorBlockedInARetryDoesNotDelayAnotherCallsDeadline() throws Exception {
    CountDownLatch blocking = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<String> retryThread = new AtomicReference<>();
    ClientInterceptor interceptor = (call, chain) -> {
      if (!call.method().getName().equals("retried")) {
        return chain.proceed(call);
      }
      if (call.attempt() == 1) {
        return CompletableFuture.failedFuture(new RpcException(Code.UNAVAILABLE, "first attempt refused by the test"));
      }
      retryThread.set(Thread.currentThread().getName());
      blocking.countDown();
      try {
        release.await(30, TimeUnit.SECONDS); // an interceptor that blocks until the test releases it
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return CompletableFuture.failedFuture(new RpcException(Code.INTERNAL, "the blocked attempt ends"));
    };
    try (RpcClient client = RpcClient.builder().connectionFactory(silentBroker()).interceptor(interceptor).build()) {
      Svc svc = client.proxy(Svc.class);
      CompletableFuture<String> retried = svc.retried();
      assertTrue(blocking.await(5, TimeUnit.SECONDS), "the retry reached the interceptor");
      try {
        assertTrue(retryThread.get().startsWith("rpc-client-work"), "the retry ran on " + retryThread.get());

        long start = System.nanoTime();
        AtomicLong endedAt = new AtomicLong();
        CompletableFuture<String> quick = svc.quick();
        quick.whenComplete((value, failure) -> endedAt.set(System.nanoTime()));
        ExecutionException e = assertThrows(ExecutionException.class, () -> quick.get(10, TimeUnit.SECONDS),
            "the other call's deadline fired while the interceptor was blocked");
        assertEquals(Code.DEADLINE_EXCEEDED, assertInstanceOf(RpcException.class, e.getCause()).code());
        assertEquals(1, release.getCount(), "the interceptor was still blocked when the deadline fired");
        long lateMillis = TimeUnit.NANOSECONDS.toMillis(endedAt.get() - start) - 200;
        System.out.println("TimerHygieneTest: the other call's DEADLINE_EXCEEDED came " + lateMillis + " ms after its deadline");
        assertTrue(lateMillis < LATE_BOUND_MILLIS, "the deadline came " + lateMillis + " ms late");
      } finally {
        release.countDown();
      }
      ExecutionException e = assertThrows(ExecutionException.class, () -> retried.get(5, TimeUnit.SECONDS));
      assertEquals(Code.INTERNAL, assertInstanceOf(RpcException.class, e.getCause()).code());
    }
  }
}
