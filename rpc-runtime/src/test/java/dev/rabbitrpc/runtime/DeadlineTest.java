package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DeadlineTest {
  private final AtomicLong now = new AtomicLong(Long.MAX_VALUE - 1_000); // near the wrap of nanoTime
  private final Deadline.Ticker ticker = now::get;

  @Test
  void expiresWhenItsTimeComesAcrossTheTickersWrap() {
    Deadline deadline = Deadline.after(2, TimeUnit.SECONDS, ticker);
    assertFalse(deadline.isExpired());
    assertEquals(TimeUnit.SECONDS.toNanos(2), deadline.remainingNanos());
    now.addAndGet(TimeUnit.SECONDS.toNanos(2));
    assertTrue(deadline.isExpired());
    assertEquals(0, deadline.remainingMillisCeil());
  }

  @Test
  void roundsRemainingMillisUpSoThatANanosecondLeftIsNotExpiredOnTheWire() {
    Deadline deadline = Deadline.after(1, TimeUnit.NANOSECONDS, ticker);
    assertEquals(1, deadline.remainingMillisCeil());
  }

  @Test
  void aHeaderOfLongMaxValueIsFarAwayNotInThePast() {
    Deadline deadline = Deadline.fromEpochMillis(Long.MAX_VALUE, 1_700_000_000_000L, ticker);
    assertFalse(deadline.isExpired());
    assertEquals(Deadline.MAX_NANOS, deadline.remainingNanos());
    // and it goes back on the wire without overflowing either
    assertTrue(deadline.toEpochMillis(1_700_000_000_000L) > 1_700_000_000_000L);
    Deadline inherited = Deadline.after(30, TimeUnit.SECONDS, ticker).minimum(deadline);
    assertEquals(TimeUnit.SECONDS.toNanos(30), inherited.remainingNanos());
  }

  @Test
  void aHeaderInThePastIsExpiredWhateverItsValue() {
    assertTrue(Deadline.fromEpochMillis(1, Long.MAX_VALUE, ticker).isExpired());
    assertTrue(Deadline.fromEpochMillis(1_000, 2_000, ticker).isExpired());
  }

  @Test
  void minimumIsTheEarlierAndIgnoresNone() {
    Deadline early = Deadline.after(1, TimeUnit.SECONDS, ticker);
    Deadline late = Deadline.after(2, TimeUnit.SECONDS, ticker);
    assertSame(early, early.minimum(late));
    assertSame(early, late.minimum(early));
    assertSame(late, late.minimum(null));
  }

  @Test
  void saturatesInsteadOfOverflowing() {
    assertEquals(Long.MAX_VALUE, Deadline.saturatedAdd(Long.MAX_VALUE, 1));
    assertEquals(Long.MIN_VALUE, Deadline.saturatedAdd(Long.MIN_VALUE, -1));
    assertEquals(Long.MAX_VALUE, Deadline.saturatedSubtract(Long.MAX_VALUE, -1));
    assertEquals(Long.MIN_VALUE, Deadline.saturatedSubtract(Long.MIN_VALUE, 1));
    assertEquals(3, Deadline.saturatedSubtract(5, 2));
    assertEquals(Deadline.MAX_NANOS, Deadline.after(Long.MAX_VALUE, TimeUnit.DAYS, ticker).remainingNanos());
  }

  @Test
  void budgetIsWhatTheDeadlineAllowedWhenSet() {
    Deadline deadline = Deadline.after(1500, TimeUnit.MILLISECONDS, ticker);
    now.addAndGet(TimeUnit.SECONDS.toNanos(1));
    assertEquals(1500, deadline.budgetMillis());
  }
}
