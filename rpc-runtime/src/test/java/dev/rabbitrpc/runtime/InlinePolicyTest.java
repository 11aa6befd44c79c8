package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * When an intake runs requests on the delivering thread ({@link InlinePolicy}), on an injected
 * ticker: only after a quiet run, never with long handlers or a backlog, and back to the workers at
 * the first sign of either. End to end: ServerIntakeTest and the benchmarks' fairness scenario.
 */
class InlinePolicyTest {
  /** A sequential caller's gap between a reply and its next request: the broker's round trip. */
  private static final long ROUND_TRIP = TimeUnit.MICROSECONDS.toNanos(150);
  private final InlinePolicy policy = new InlinePolicy(true);
  private long now = 1_000_000_000L;

  /** One request of a sequential caller: delivered a round trip after the last settle, settled after {@code nanos}. */
  private boolean sequential(boolean handlersShort, long nanos) {
    now += ROUND_TRIP;
    boolean here = policy.runHere(true, handlersShort, now);
    now += nanos;
    policy.settled(now);
    return here;
  }

  private void quietRun() {
    for (int i = 1; i < InlinePolicy.QUIET_RUN; i++) {
      assertFalse(sequential(true, 1_000), "not before a whole quiet run: delivery " + i);
    }
    assertTrue(sequential(true, 1_000), "the quiet run's last delivery runs on the delivering thread");
  }

  @Test
  void oneShortRequestAtATimeRunsOnTheDeliveringThreadAfterAQuietRun() {
    quietRun();
    for (int i = 0; i < 1_000; i++) {
      assertTrue(sequential(true, 1_000));
    }
  }

  @Test
  void aDeliveryRightAfterASettleWasWaitingBehindIt_backToTheWorkersUntilTheNextQuietRun() {
    quietRun();
    now += InlinePolicy.BACKLOG_GAP_NANOS - 1; // handed over as soon as the one before it returned
    assertFalse(policy.runHere(true, true, now), "a backlog goes to the workers");
    policy.settled(now += 1_000);
    quietRun();
  }

  @Test
  void aDeliveryThatFindsAnotherUnsettledGoesToTheWorkers() {
    quietRun();
    now += ROUND_TRIP;
    assertFalse(policy.runHere(false, true, now), "concurrent callers: the workers' parallelism");
    quietRun();
  }

  @Test
  void handlersNotJudgedShortNeverRunOnTheDeliveringThread() {
    for (int i = 0; i < 10 * InlinePolicy.QUIET_RUN; i++) {
      assertFalse(sequential(false, 1_000));
    }
    quietRun();
    assertFalse(sequential(false, 1_000), "the flow control's judgement ends it at once");
    quietRun();
  }

  @Test
  void aServiceThatMayNotRunThereNeverDoes() {
    InlinePolicy never = new InlinePolicy(false);
    for (int i = 0; i < 10 * InlinePolicy.QUIET_RUN; i++) {
      now += ROUND_TRIP;
      assertFalse(never.runHere(true, true, now));
      never.settled(now += 1_000);
    }
  }
}
