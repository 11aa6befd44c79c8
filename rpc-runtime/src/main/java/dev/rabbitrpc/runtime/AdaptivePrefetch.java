package dev.rabbitrpc.runtime;

import java.util.concurrent.TimeUnit;

/**
 * The prefetch of one intake at the defaults, driven by how long its handlers take. It starts
 * <em>fair</em> — as many requests as the intake has workers, so that no request waits in this
 * server behind a slow one while another server on the queue is free — and goes <em>deep</em>
 * ({@link #DEPTH} times that) once {@link #SHORT_RUN} requests in a row were each handled within
 * {@link #SHORT_NANOS}: then the broker streams requests instead of sending one per ack, which is
 * where a shallow prefetch loses throughput (docs/BENCHMARKS.md), and a request held unstarted
 * waits for a few short handlers at most. The first request handled in {@link #SLOW_NANOS} or
 * more brings it back to fair at once.
 *
 * <p>Two thresholds, because a handler's time is wall-clock time: on a machine whose cores are all
 * busy a handler of microseconds now and then measures several milliseconds (its thread was
 * preempted). Such noise may delay going deep, but only a request four times slower than the run's
 * bound ends it; handlers between the two never let it go deep.
 *
 * <p>RabbitMQ applies a consumer's prefetch when the consumer is created, so the intake applies a
 * change by consuming again with the new prefetch and cancelling the old consumer (RpcServer).
 * A prefetch set explicitly ({@link RpcClient.Builder#prefetch(int)}) is kept as set: no policy.
 *
 * <p>Thread-safe.
 */
final class AdaptivePrefetch {
  /** Requests handled within this (their worker's time until the reply is ready) are short. */
  static final long SHORT_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  /** A request handled in this long or more sends the prefetch back to fair. */
  static final long SLOW_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  /** Short requests in a row before the prefetch goes deep. */
  static final int SHORT_RUN = 1000;
  /** How many times the fair prefetch the deep one is. */
  static final int DEPTH = 8;

  private final int fair;
  private final int deep;
  private int shortInARow; // guarded by this
  private boolean deepNow; // guarded by this

  AdaptivePrefetch(int fair) {
    this.fair = fair;
    this.deep = (int) Math.min(65_535, (long) fair * DEPTH);
  }

  /**
   * A request was handled in {@code nanos}.
   *
   * @return whether the prefetch this policy wants changed: then {@link #wanted()} is the new one
   */
  synchronized boolean handled(long nanos) {
    if (nanos < SHORT_NANOS) {
      if (!deepNow && ++shortInARow >= SHORT_RUN) {
        deepNow = true;
        return true;
      }
      return false;
    }
    shortInARow = 0;
    if (deepNow && nanos >= SLOW_NANOS) {
      deepNow = false;
      return true;
    }
    return false;
  }

  /** The prefetch this policy wants now. */
  synchronized int wanted() {
    return deepNow ? deep : fair;
  }

  int deep() {
    return deep;
  }
}
