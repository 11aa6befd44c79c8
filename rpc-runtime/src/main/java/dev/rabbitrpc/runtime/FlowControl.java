package dev.rabbitrpc.runtime;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many requests one intake (one queue's consumer) may hold: its prefetch, the policy that
 * drives it and the change that applies it.
 *
 * <p><b>The policy</b>, at the defaults ({@link RpcClient.Builder#prefetch(int)} not set): it starts
 * <em>fair</em> — as many requests as the intake has workers, so that no request waits in this
 * server behind a slow one while another server on the queue is free — and goes <em>deep</em>
 * ({@link #DEPTH} times that) once {@link #SHORT_RUN} requests in a row were each handled within
 * {@link #SHORT_NANOS}: then the broker streams requests instead of sending one per ack, which is
 * where a shallow prefetch loses throughput (docs/BENCHMARKS.md), and a request held unstarted
 * waits for a few short handlers at most. The first request handled in {@link #SLOW_NANOS} or
 * more brings it back to fair at once. Two thresholds, because a handler's time is wall-clock time:
 * on a machine whose cores are all busy a handler of microseconds now and then measures several
 * milliseconds (its thread was preempted). Such noise may delay going deep, but only a request
 * four times slower than the run's bound ends it; handlers between the two never let it go deep.
 * A prefetch set explicitly is kept as set; the judgement is still made if the intake's
 * {@link InlinePolicy} needs it.
 *
 * <p><b>The change.</b> RabbitMQ applies a consumer's prefetch when the consumer is created, so a
 * change consumes again with the new prefetch and cancels the old consumer ({@link Reconsumer}).
 * Those are two synchronous broker round trips; they run on the server's prefetch executor
 * ({@code rabbit-rpc-prefetch-<queue>}), never on the thread that finished the request (a worker,
 * or an application thread completing an async handler's future) and never under the intake
 * channel's lock, which every reply and ack needs (docs/ARCHITECTURE.md, "Flow control").
 *
 * <p>Threading: {@link #onRequestDone} is called from any thread, concurrently; the policy's state
 * is guarded by this object, changes are applied one at a time under the change lock, each to the
 * latest wish.
 */
final class FlowControl {
  private static final Logger log = LoggerFactory.getLogger(FlowControl.class);
  /** Requests handled within this (their worker's time until the reply is ready) are short. */
  static final long SHORT_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  /** A request handled in this long or more sends the prefetch back to fair. */
  static final long SLOW_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  /** Short requests in a row before the prefetch goes deep. */
  static final int SHORT_RUN = 1000;
  /** How many times the fair prefetch the deep one is. */
  static final int DEPTH = 8;

  /** Applies a prefetch: consumes again with it and cancels the consumer it replaces. */
  interface Reconsumer {
    /** @return whether it was applied (false if the intake stopped consuming meanwhile) */
    boolean reconsume(int prefetch) throws IOException;
  }

  private final String queue;
  private final int fair;
  private final int deep;
  private final boolean adaptive;
  private final LongSupplier ticker;
  private final Executor changes;
  private final Reconsumer reconsumer;
  /** Held while a change is applied: one change at a time. Never held with the intake channel's lock. */
  private final Object changeLock = new Object();
  private int shortInARow; // guarded by this
  /** Whether handlers are judged: if adaptive, or if the intake's {@link InlinePolicy} asks with a fixed prefetch. */
  private final boolean judged;
  /** Every handler judged short: the deep prefetch's condition (also kept with a fixed prefetch if judged). Written under this. */
  private volatile boolean deepNow;
  /** The prefetch of the consumer now. */
  private volatile int applied;

  /**
   * @param prefetch the intake's prefetch: the fair one if adaptive, else kept as it is
   * @param adaptive whether the policy drives it (the prefetch was not set)
   * @param ticker nanoseconds, as {@link System#nanoTime()}: how long requests take is measured on it
   * @param changes where a change is applied: the server's prefetch executor
   * @param reconsumer what applies it
   */
  FlowControl(String queue, int prefetch, boolean adaptive, LongSupplier ticker, Executor changes,
      Reconsumer reconsumer) {
    this(queue, prefetch, adaptive, false, ticker, changes, reconsumer);
  }

  /**
   * As above; with {@code judgedForInline}, the handlers are judged ({@link #handlersShort()}) even
   * with a fixed prefetch, for an intake whose requests may run on the delivering thread. Without
   * it, a fixed prefetch costs nothing per request.
   */
  FlowControl(String queue, int prefetch, boolean adaptive, boolean judgedForInline, LongSupplier ticker,
      Executor changes, Reconsumer reconsumer) {
    this.judged = adaptive || judgedForInline;
    this.queue = queue;
    this.fair = prefetch;
    this.deep = (int) Math.min(65_535, (long) prefetch * DEPTH);
    this.adaptive = adaptive;
    this.ticker = ticker;
    this.changes = changes;
    this.reconsumer = reconsumer;
    this.applied = prefetch;
  }

  /** The prefetch the consumer starts with. */
  int initial() {
    return fair;
  }

  /** The prefetch of the consumer now. */
  int prefetch() {
    return applied;
  }

  /** Now, on this flow control's ticker: where a request's handling starts and ends. */
  long now() {
    return ticker.getAsLong();
  }

  /**
   * A request was handled in {@code nanos} (measured on {@link #now()}): the policy hears of it;
   * a change it wants is handed to the prefetch executor, not made on this thread.
   *
   * @return the prefetch the policy wants now (the change may not be applied yet)
   */
  int onRequestDone(long nanos) {
    if (!judged) {
      return fair;
    }
    if (handled(nanos) && adaptive) {
      try {
        changes.execute(this::apply);
      } catch (RejectedExecutionException e) {
        // The server is closed: its consumers are gone, no change to make.
      }
    }
    return wanted();
  }

  /**
   * The policy: a request was handled in {@code nanos}.
   *
   * @return whether the prefetch it wants changed: then {@link #wanted()} is the new one
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

  /** The prefetch the policy wants now. */
  synchronized int wanted() {
    return adaptive && deepNow ? deep : fair;
  }

  /**
   * Whether the policy judges every handler short now (the condition of the deep prefetch, judged
   * with a fixed prefetch too if asked): what lets {@link InlinePolicy} run requests on the delivering thread.
   */
  boolean handlersShort() {
    return deepNow;
  }

  int deep() {
    return deep;
  }

  /** On the prefetch executor: applies the latest wish, if it is not applied already. */
  void apply() {
    synchronized (changeLock) {
      int wanted = wanted(); // the latest wish, whichever change gets here first
      int was = applied;
      if (wanted == was) {
        return;
      }
      try {
        if (reconsumer.reconsume(wanted)) {
          applied = wanted;
          log.debug("{}: prefetch {} (was {})", queue, wanted, was);
        }
      } catch (IOException | RuntimeException e) {
        // The channel is closing (its shutdown signal starts the recovery) or the old consumer is gone.
        log.debug("prefetch change on {} failed: {}", queue, e.getMessage());
      }
    }
  }
}
