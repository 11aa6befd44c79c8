package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The flow control without a broker: the policy (when the default prefetch goes deep and when it
 * comes back), driven by an injected ticker, and where its change runs. Applied end to end in
 * ServerIT and ServerRecoveryIT.
 */
class FlowControlTest {
  private static final long SHORT = TimeUnit.MICROSECONDS.toNanos(200);
  /** Not short, not slow: a preempted thread's time, say. */
  private static final long BETWEEN = FlowControl.SHORT_NANOS;
  private static final long SLOW = FlowControl.SLOW_NANOS;

  /** The ticker the flow control measures on, moved by the test. */
  private final AtomicLong ticker = new AtomicLong(1_000_000);
  /** The prefetch changes the flow control applied, in order. */
  private final List<Integer> applied = new ArrayList<>();
  /** Changes handed to the "prefetch executor", run when the test says. */
  private final List<Runnable> handedOn = new ArrayList<>();

  private FlowControl adaptive(int fair) {
    return new FlowControl("q", fair, true, ticker::get, handedOn::add, prefetch -> applied.add(prefetch));
  }

  /** One request that takes {@code nanos} on the ticker, as a reply measures it. */
  private int request(FlowControl flow, long nanos) {
    long started = flow.now();
    ticker.addAndGet(nanos);
    return flow.onRequestDone(flow.now() - started);
  }

  private void runHandedOn() {
    List<Runnable> now = List.copyOf(handedOn);
    handedOn.clear();
    now.forEach(Runnable::run);
  }

  private static void shortRequests(FlowControl policy, int count) {
    for (int i = 0; i < count; i++) {
      assertFalse(policy.handled(SHORT), "no change after " + (i + 1) + " short requests");
    }
  }

  private FlowControl deep(int fair) {
    FlowControl policy = adaptive(fair);
    shortRequests(policy, FlowControl.SHORT_RUN - 1);
    assertTrue(policy.handled(SHORT));
    assertEquals(fair * FlowControl.DEPTH, policy.wanted());
    return policy;
  }

  @Test
  void startsFairAndGoesDeepAfterARunOfShortRequests() {
    FlowControl policy = adaptive(8);
    assertEquals(8, policy.wanted());
    shortRequests(policy, FlowControl.SHORT_RUN - 1);
    assertEquals(8, policy.wanted());
    assertTrue(policy.handled(SHORT));
    assertEquals(64, policy.wanted());
    assertFalse(policy.handled(SHORT), "deep stays deep while requests are short");
  }

  @Test
  void aRequestThatIsNotShortStartsTheRunAgain() {
    FlowControl policy = adaptive(2);
    shortRequests(policy, FlowControl.SHORT_RUN - 1);
    assertFalse(policy.handled(BETWEEN));
    shortRequests(policy, FlowControl.SHORT_RUN - 1);
    assertEquals(2, policy.wanted());
    assertTrue(policy.handled(SHORT));
    assertEquals(2 * FlowControl.DEPTH, policy.wanted());
  }

  @Test
  void aSlowRequestBringsItBackToFairAtOnce() {
    FlowControl policy = deep(8);
    assertTrue(policy.handled(SLOW));
    assertEquals(8, policy.wanted());
    assertFalse(policy.handled(SLOW), "fair stays fair");
    shortRequests(policy, FlowControl.SHORT_RUN - 1);
    assertTrue(policy.handled(SHORT), "and goes deep again after a new run");
  }

  @Test
  void aRequestBetweenShortAndSlowKeepsItDeep() {
    FlowControl policy = deep(8);
    assertFalse(policy.handled(SLOW - 1));
    assertEquals(64, policy.wanted());
  }

  @Test
  void theDeepPrefetchStaysWithinWhatAmqpAllows() {
    assertEquals(65_535, adaptive(10_000).deep());
  }

  @Test
  void onTheTickerItDeepensAfterAThousandShortRequestsAndComesBackAfterASlowOne() {
    FlowControl flow = adaptive(4);
    assertEquals(4, flow.prefetch());
    for (int i = 1; i < FlowControl.SHORT_RUN; i++) {
      assertEquals(4, request(flow, SHORT));
    }
    assertTrue(handedOn.isEmpty(), "no change before the run is complete");
    assertEquals(4 * FlowControl.DEPTH, request(flow, SHORT), "the policy wants deep at the 1,000th");
    assertEquals(4, flow.prefetch(), "the change is handed on, not made on the finishing thread");
    assertEquals(1, handedOn.size());
    runHandedOn();
    assertEquals(List.of(32), applied);
    assertEquals(32, flow.prefetch());

    assertEquals(32, request(flow, SLOW - 1), "a request between short and slow keeps it deep");
    assertEquals(4, request(flow, SLOW), "a slow request wants it fair at once");
    runHandedOn();
    assertEquals(List.of(32, 4), applied);
    assertEquals(4, flow.prefetch());
  }

  @Test
  void aChangeAppliesTheLatestWishAndNoneIfItIsAppliedAlready() {
    FlowControl flow = adaptive(2);
    for (int i = 0; i < FlowControl.SHORT_RUN; i++) {
      request(flow, SHORT);
    }
    request(flow, SLOW); // deep, then fair again, before the executor ran either change
    assertEquals(2, handedOn.size());
    runHandedOn();
    assertEquals(List.of(), applied, "fair is what the consumer has: nothing to change");
    assertEquals(2, flow.prefetch());
  }

  @Test
  void aPrefetchSetExplicitlyIsKeptAsSet() {
    FlowControl flow = new FlowControl("q", 5, false, ticker::get, handedOn::add, prefetch -> applied.add(prefetch));
    FlowControl judged = new FlowControl("q", 5, false, true, ticker::get, handedOn::add, prefetch -> applied.add(prefetch));
    for (int i = 0; i < 2 * FlowControl.SHORT_RUN; i++) {
      assertEquals(5, request(flow, SHORT));
      assertEquals(5, request(judged, SHORT));
    }
    assertTrue(handedOn.isEmpty());
    assertEquals(5, flow.prefetch());
    assertEquals(5, judged.prefetch());
    assertFalse(flow.handlersShort(), "not judged: nothing to do per request");
    assertTrue(judged.handlersShort(), "judged for the delivering thread (InlinePolicy)");
    request(judged, SLOW);
    assertFalse(judged.handlersShort());
  }

  @Test
  void aChangeTheConsumerRefusesLeavesThePrefetchAsItWas() {
    FlowControl flow = new FlowControl("q", 3, true, ticker::get, handedOn::add, prefetch -> false);
    for (int i = 0; i < FlowControl.SHORT_RUN; i++) {
      request(flow, SHORT);
    }
    runHandedOn();
    assertEquals(3, flow.prefetch(), "an intake that stopped consuming keeps its prefetch");
  }

  /**
   * The change runs on the prefetch executor's thread, not the thread that finished the request,
   * and never needs the intake channel's lock: here the finishing thread holds that lock for the
   * whole change, which completes all the same.
   */
  @Test
  void theChangeRunsOnThePrefetchExecutorAndNotUnderTheIntakeLock() throws Exception {
    ExecutorService prefetchExecutor = Executors.newSingleThreadExecutor(Threads.daemon("rabbit-rpc-prefetch-q"));
    IntakeChannel intakeLock = new IntakeChannel(null, "q", true, () -> { });
    AtomicReference<String> changeThread = new AtomicReference<>();
    AtomicBoolean heldIntakeLock = new AtomicBoolean(true);
    CountDownLatch changed = new CountDownLatch(1);
    try {
      FlowControl flow = new FlowControl("q", 2, true, ticker::get, prefetchExecutor, prefetch -> {
        changeThread.set(Thread.currentThread().getName());
        heldIntakeLock.set(Thread.holdsLock(intakeLock));
        changed.countDown();
        return true;
      });
      synchronized (intakeLock) {
        for (int i = 0; i < FlowControl.SHORT_RUN; i++) {
          request(flow, SHORT);
        }
        assertTrue(changed.await(10, TimeUnit.SECONDS), "the change ran while the intake lock was held");
      }
      assertTrue(changeThread.get().startsWith("rabbit-rpc-prefetch-q"), changeThread.get());
      assertFalse(heldIntakeLock.get());
      TestWait.until(java.time.Duration.ofSeconds(10), "the change to be recorded",
          () -> flow.prefetch() == 2 * FlowControl.DEPTH);
    } finally {
      prefetchExecutor.shutdownNow();
    }
  }
}
