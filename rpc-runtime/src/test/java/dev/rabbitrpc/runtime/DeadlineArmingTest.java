package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The deadlines of async calls ({@link CallDeadlines#arm}): a call far from its deadline gets
 * its timer from the router's sweep, one near it at once; either way it ends at its deadline, never
 * before, and a call answered first never expires.
 */
class DeadlineArmingTest {
  interface Svc {
    String m(String value);
  }

  private final ReplyRouter router = new ReplyRouter(Codec.json(), null);
  private final CallDeadlines deadlines = new CallDeadlines(router, new ClientTimer());
  private final CorrelationIds ids = new CorrelationIds();
  private final MethodDescriptor method =
      ServiceDescriptor.parse(Svc.class, Codec.json(), Duration.ofSeconds(30)).methods().iterator().next();

  @AfterEach
  void shutdown() {
    deadlines.timer.shutdown();
  }

  /** When the last call's deadline was fixed: the call's time is counted from here, before its deadline existed. */
  private long fixedAtNanos;

  private PendingCall armed(long millis) {
    fixedAtNanos = System.nanoTime();
    PendingCall call = router.register(ids.next(), method, null, "q", Deadline.after(millis, TimeUnit.MILLISECONDS), WireFormat.JSON);
    deadlines.arm(call);
    return call;
  }

  /**
   * From just before the call's deadline was fixed, so that no delay of this thread (before
   * registering or arming it) can make the expiry look early.
   */
  private long expiresAfterMillis(PendingCall call) {
    long start = fixedAtNanos;
    ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
    assertEquals(Code.DEADLINE_EXCEEDED, assertInstanceOf(RpcException.class, e.getCause()).code());
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  @Test
  void aCallFarFromItsDeadlineIsArmedByTheSweepAndEndsAtItsDeadline() {
    long deadlineMillis = 2 * TimeUnit.NANOSECONDS.toMillis(CallDeadlines.ARM_AHEAD_NANOS) + 200;
    PendingCall call = armed(deadlineMillis);
    assertTrue(call.armLater, "no timer yet");
    long took = expiresAfterMillis(call);
    assertTrue(took >= deadlineMillis - 20, "not before its deadline: " + took + " ms");
    assertTrue(took < deadlineMillis + 2_000, "at its deadline: " + took + " ms");
    assertEquals(0, router.pendingCount());
  }

  @Test
  void aCallNearItsDeadlineIsArmedAtOnce() {
    PendingCall call = armed(100);
    assertTrue(!call.armLater, "armed at once");
    long took = expiresAfterMillis(call);
    assertTrue(took >= 80 && took < 2_100, took + " ms");
  }

  @Test
  void callsAnsweredFirstNeverExpireAndLeaveNothingBehind() throws Exception {
    List<PendingCall> calls = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      calls.add(armed(TimeUnit.NANOSECONDS.toMillis(CallDeadlines.ARM_AHEAD_NANOS) + 100));
    }
    for (PendingCall call : calls) {
      router.onReply(call.correlationId, "application/json", "OK", "\"v\"".getBytes(StandardCharsets.UTF_8));
    }
    for (PendingCall call : calls) {
      assertEquals("v", call.get(1, TimeUnit.SECONDS));
    }
    // Past every deadline and the sweeps after it: nothing expired, nothing is pending.
    PendingCall last = armed(TimeUnit.NANOSECONDS.toMillis(CallDeadlines.ARM_AHEAD_NANOS) + 300);
    expiresAfterMillis(last);
    assertEquals(0, router.pendingCount());
    assertEquals(0, router.late.count(), "no reply came late");
    for (PendingCall call : calls) {
      assertEquals("v", call.getNow(null), "still the reply's value");
    }
  }
}
