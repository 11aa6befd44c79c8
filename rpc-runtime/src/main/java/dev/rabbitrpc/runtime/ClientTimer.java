package dev.rabbitrpc.runtime;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The client's one timer thread ({@code rpc-deadlines}): deadlines of async calls, retry back-off,
 * the router's deadline-arming sweep, the consumer probe's sweep. Its tasks only decide: an attempt
 * (which connects, runs the client interceptors and publishes), and the deadline of an intercepted
 * call (whose outcome the interceptors observe), are handed to {@link ClientWork}; the probe asks
 * the broker on its own thread. A task here ends a call through {@link Completions}: on the
 * application's executor if it set one, else on this thread, so that the application's own
 * callbacks on a future it did not give an executor run here too (as they would on the reply thread).
 *
 * <p>Thread-safe.
 */
final class ClientTimer {
  private final ScheduledThreadPoolExecutor timer;

  ClientTimer() {
    this.timer = new ScheduledThreadPoolExecutor(1, Threads.daemon("rpc-deadlines"));
    // A completed call cancels its timer task; without this the task would stay queued until its deadline.
    this.timer.setRemoveOnCancelPolicy(true);
  }

  /**
   * Runs {@code task} after {@code delayNanos} (a deadline, a retry).
   *
   * @throws java.util.concurrent.RejectedExecutionException once the timer is shut down
   */
  ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
    return timer.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
  }

  /** Runs {@code task} every {@code periodNanos} until the timer shuts down. */
  void every(Runnable task, long periodNanos) {
    timer.scheduleWithFixedDelay(task, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
  }

  void shutdown() {
    timer.shutdownNow();
  }
}
