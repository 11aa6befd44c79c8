package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** When the default prefetch goes deep and when it comes back; applied end to end in ServerIT. */
class AdaptivePrefetchTest {
  private static final long SHORT = TimeUnit.MICROSECONDS.toNanos(200);
  /** Not short, not slow: a preempted thread's time, say. */
  private static final long BETWEEN = AdaptivePrefetch.SHORT_NANOS;
  private static final long SLOW = AdaptivePrefetch.SLOW_NANOS;

  private static void shortRequests(AdaptivePrefetch policy, int count) {
    for (int i = 0; i < count; i++) {
      assertFalse(policy.handled(SHORT), "no change after " + (i + 1) + " short requests");
    }
  }

  private static AdaptivePrefetch deep(int fair) {
    AdaptivePrefetch policy = new AdaptivePrefetch(fair);
    shortRequests(policy, AdaptivePrefetch.SHORT_RUN - 1);
    assertTrue(policy.handled(SHORT));
    assertEquals(fair * AdaptivePrefetch.DEPTH, policy.wanted());
    return policy;
  }

  @Test
  void startsFairAndGoesDeepAfterARunOfShortRequests() {
    AdaptivePrefetch policy = new AdaptivePrefetch(8);
    assertEquals(8, policy.wanted());
    shortRequests(policy, AdaptivePrefetch.SHORT_RUN - 1);
    assertEquals(8, policy.wanted());
    assertTrue(policy.handled(SHORT));
    assertEquals(64, policy.wanted());
    assertFalse(policy.handled(SHORT), "deep stays deep while requests are short");
  }

  @Test
  void aRequestThatIsNotShortStartsTheRunAgain() {
    AdaptivePrefetch policy = new AdaptivePrefetch(2);
    shortRequests(policy, AdaptivePrefetch.SHORT_RUN - 1);
    assertFalse(policy.handled(BETWEEN));
    shortRequests(policy, AdaptivePrefetch.SHORT_RUN - 1);
    assertEquals(2, policy.wanted());
    assertTrue(policy.handled(SHORT));
    assertEquals(2 * AdaptivePrefetch.DEPTH, policy.wanted());
  }

  @Test
  void aSlowRequestBringsItBackToFairAtOnce() {
    AdaptivePrefetch policy = deep(8);
    assertTrue(policy.handled(SLOW));
    assertEquals(8, policy.wanted());
    assertFalse(policy.handled(SLOW), "fair stays fair");
    shortRequests(policy, AdaptivePrefetch.SHORT_RUN - 1);
    assertTrue(policy.handled(SHORT), "and goes deep again after a new run");
  }

  @Test
  void aRequestBetweenShortAndSlowKeepsItDeep() {
    AdaptivePrefetch policy = deep(8);
    assertFalse(policy.handled(SLOW - 1));
    assertEquals(64, policy.wanted());
  }

  @Test
  void theDeepPrefetchStaysWithinWhatAmqpAllows() {
    assertEquals(65_535, new AdaptivePrefetch(10_000).deep());
  }
}
