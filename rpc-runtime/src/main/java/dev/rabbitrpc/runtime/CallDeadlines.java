package dev.rabbitrpc.runtime;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Arms the deadlines of async calls that wait in the {@link ReplyRouter}: a call with more than
 * {@link #ARM_AHEAD_NANOS} to go gets its timer only when a sweep (every {@link #ARM_SWEEP_NANOS})
 * finds it still pending that close to its deadline: most calls are answered long before, and a
 * timer task made and cancelled per call cost the reply thread a fifth of its time at 256 calls in
 * flight (the timer queue's heap and lock; docs/BENCHMARKS.md). The deadline is as exact as
 * before: every call still pending has its timer by {@code ARM_AHEAD_NANOS} before it.
 *
 * <p>Threads: {@link #arm} runs on the sending thread; the sweep and the deadline itself
 * ({@link ReplyRouter#expire}, which only completes the call) on the {@link ClientTimer}'s.
 * Thread-safe.
 */
final class CallDeadlines {
  /** How far ahead of its deadline a pending async call gets its timer, at the latest. */
  static final long ARM_AHEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
  /** How often the calls whose timers wait are looked at: well inside {@link #ARM_AHEAD_NANOS}. */
  static final long ARM_SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final ReplyRouter router;
  final ClientTimer timer;
  private final AtomicBoolean sweeping = new AtomicBoolean();

  CallDeadlines(ReplyRouter router, ClientTimer timer) {
    this.router = router;
    this.timer = timer;
  }

  /** Fails the call with {@code DEADLINE_EXCEEDED} when its deadline passes (async calls). */
  void arm(PendingCall call) {
    long remaining = call.deadline.remainingNanos();
    if (remaining <= ARM_AHEAD_NANOS) {
      call.timeoutTask(timer.schedule(() -> router.expire(call), remaining));
      return;
    }
    call.armLater = true;
    if (!sweeping.get() && sweeping.compareAndSet(false, true)) {
      timer.every(this::armDue, ARM_SWEEP_NANOS);
    }
  }

  /** On the timer's thread: arms the deadline of every call marked {@code armLater} that is now near it. */
  private void armDue() {
    for (PendingCall call : router.pendingCalls()) {
      if (call.armLater) {
        long remaining = call.deadline.remainingNanos();
        if (remaining <= ARM_AHEAD_NANOS) {
          call.armLater = false;
          call.timeoutTask(timer.schedule(() -> router.expire(call), remaining));
        }
      }
    }
  }
}
