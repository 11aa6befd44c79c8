package dev.rabbitrpc.runtime;

import java.util.concurrent.TimeUnit;

/**
 * Whether an intake runs a request on the thread that delivered it, as the tutorial's server does,
 * instead of handing it to a worker: the hand-off is a thread wake-up per request, which a
 * sequential caller waits for (about an eighth of its latency on a local broker, docs/BENCHMARKS.md).
 *
 * <p><b>The policy.</b> A request runs on the delivering thread only while all of these hold:
 * <ul>
 *   <li>the server was told its handlers never block ({@link ServerBuilder#runOnDeliveryThread}): a
 *       handler that waits holds up the queue's next deliveries, and one that calls its own queue
 *       and waits would wait until its deadline;</li>
 *   <li>the service may run there ({@link Dispatcher#mayRunOnDeliveryThread()}: no streaming
 *       method, no {@code @Deduplicated} one with a reply store — those may run long or wait);</li>
 *   <li>its intake's {@link FlowControl} judges every handler short ({@link FlowControl#handlersShort()}:
 *       the same judgement that deepens the prefetch, so a handler of {@link FlowControl#SLOW_NANOS}
 *       or more ends it at once);</li>
 *   <li>the traffic is one request at a time: {@link #QUIET_RUN} deliveries in a row found nothing
 *       else of the intake unsettled, and came at least {@link #BACKLOG_GAP_NANOS} after the last
 *       request was settled. A delivery that comes sooner than that after a request run here was
 *       waiting behind it (amqp-client hands a channel's deliveries over one after another): the
 *       intake goes back to its workers at once, and only the next quiet run brings it back.</li>
 * </ul>
 * So at most one request ever waits behind one short handler; concurrent callers (where the
 * workers' parallelism matters) and slow handlers (where fairness matters) get the workers.
 *
 * <p>Threading: {@link #runHere} is called on the intake's delivering thread only (amqp-client
 * delivers a channel's messages one at a time); {@link #settled} on any thread.
 */
final class InlinePolicy {
  /** Deliveries in a row that found the intake idle before requests run on the delivering thread. */
  static final int QUIET_RUN = 100;
  /** A delivery this soon after the last settle was waiting for it: a backlog. */
  static final long BACKLOG_GAP_NANOS = TimeUnit.MICROSECONDS.toNanos(20);

  private final boolean allowed;
  private int quietInARow; // delivering thread only
  private boolean here; // delivering thread only
  /** When the last request was settled, on the flow control's ticker; written by whichever thread settles. */
  private volatile long lastSettledNanos = Long.MIN_VALUE / 2;

  /** @param allowed whether the server's requests may run on the delivering thread at all (set so, and the service allows it) */
  InlinePolicy(boolean allowed) {
    this.allowed = allowed;
  }

  /** Whether requests may run on the delivering thread at all; if not, the intake need not ask or report. */
  boolean allowed() {
    return allowed;
  }

  /**
   * On the delivering thread, for each delivery: whether it runs here.
   *
   * @param idle nothing else of the intake was unsettled when it came (and the intake is not closing)
   * @param handlersShort the flow control's judgement
   * @param now when it came, on the flow control's ticker
   */
  boolean runHere(boolean idle, boolean handlersShort, long now) {
    if (!allowed) {
      return false;
    }
    boolean quiet = idle && handlersShort && now - lastSettledNanos >= BACKLOG_GAP_NANOS;
    if (!quiet) {
      here = false;
      quietInARow = 0;
      return false;
    }
    if (!here && ++quietInARow >= QUIET_RUN) {
      here = true;
    }
    return here;
  }

  /** A request of the intake was settled at {@code now} (the flow control's ticker). */
  void settled(long now) {
    lastSettledNanos = now;
  }
}
