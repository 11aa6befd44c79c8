package dev.rabbitrpc.runtime;

import java.util.concurrent.TimeUnit;

/**
 * An absolute point in time by which a call must end, fixed once when the call is made and used for
 * everything the call waits on: the connect, the {@code rpc-deadline} header, the {@code expiration}
 * property, the timer of an async call, the wait of a sync one and the deadline that nested calls
 * inherit. Modelled on gRPC's {@code io.grpc.Deadline}.
 *
 * <p>Arithmetic saturates: a deadline never overflows, however far away (a request carrying
 * {@code rpc-deadline = Long.MAX_VALUE} is a deadline about 146 years from now, not one in the past).
 * Time comes from a {@link Ticker}, which tests replace.
 *
 * <p>Immutable and thread-safe.
 */
final class Deadline implements Comparable<Deadline> {
  /** The farthest a deadline may be: beyond it, saturated arithmetic keeps every sum in range. */
  static final long MAX_NANOS = Long.MAX_VALUE / 2;

  /** A source of monotonic nanoseconds, {@link System#nanoTime()} by default. */
  interface Ticker {
    long nanoTime();
  }

  static final Ticker SYSTEM_TICKER = System::nanoTime;

  private final Ticker ticker;
  private final long deadlineNanos;
  /** The ticker's time when this deadline was set: what it allowed is its budget. */
  private final long startNanos;

  private Deadline(Ticker ticker, long startNanos, long deadlineNanos) {
    this.ticker = ticker;
    this.startNanos = startNanos;
    this.deadlineNanos = deadlineNanos;
  }

  /** The deadline {@code duration} from now on the system ticker. */
  static Deadline after(long duration, TimeUnit unit) {
    return after(duration, unit, SYSTEM_TICKER);
  }

  static Deadline after(long duration, TimeUnit unit, Ticker ticker) {
    long nanos = Math.max(-MAX_NANOS, Math.min(MAX_NANOS, unit.toNanos(duration)));
    long now = ticker.nanoTime();
    return new Deadline(ticker, now, now + nanos);
  }

  /**
   * The deadline an {@code rpc-deadline} header names, in epoch milliseconds on this host's clock
   * (docs/PROTOCOL.md, "Deadlines and cancellation"). Any value, however large, is a valid deadline.
   */
  static Deadline fromEpochMillis(long epochMillis, long nowEpochMillis, Ticker ticker) {
    long remainingMillis = saturatedSubtract(epochMillis, nowEpochMillis);
    return after(remainingMillis, TimeUnit.MILLISECONDS, ticker);
  }

  static Deadline fromEpochMillis(long epochMillis) {
    return fromEpochMillis(epochMillis, System.currentTimeMillis(), SYSTEM_TICKER);
  }

  boolean isExpired() {
    return remainingNanos() <= 0;
  }

  /** Nanoseconds left, negative once expired. */
  long remainingNanos() {
    return deadlineNanos - ticker.nanoTime();
  }

  /** Whole milliseconds left, rounded up so that 1 ns left is 1 ms, never 0; 0 or less once expired. */
  long remainingMillisCeil() {
    long nanos = remainingNanos();
    if (nanos <= 0) {
      return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
    return (nanos + 999_999) / 1_000_000;
  }

  /** How many milliseconds this deadline allowed when it was set, for messages ("no reply within …"). */
  long budgetMillis() {
    return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - startNanos);
  }

  /**
   * This deadline in epoch milliseconds, for the {@code rpc-deadline} header: rounded down, so that
   * it never names a later instant than the call's own deadline.
   */
  long toEpochMillis() {
    return toEpochMillis(System.currentTimeMillis());
  }

  long toEpochMillis(long nowEpochMillis) {
    return saturatedAdd(nowEpochMillis, Math.floorDiv(remainingNanos(), 1_000_000L));
  }

  /** The earlier of the two, e.g. a method's own timeout and the deadline a handler inherited. */
  Deadline minimum(Deadline other) {
    return other == null || compareTo(other) <= 0 ? this : other;
  }

  @Override
  public int compareTo(Deadline other) {
    return Long.compare(deadlineNanos - other.deadlineNanos, 0);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Deadline && ((Deadline) other).deadlineNanos == deadlineNanos
        && ((Deadline) other).ticker == ticker;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(deadlineNanos);
  }

  @Override
  public String toString() {
    long nanos = remainingNanos();
    return nanos > 0 ? "Deadline[" + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms from now]"
        : "Deadline[expired " + TimeUnit.NANOSECONDS.toMillis(-nanos) + " ms ago]";
  }

  static long saturatedAdd(long a, long b) {
    long sum = a + b;
    // overflow only if both have the sign the sum lacks
    if (((a ^ sum) & (b ^ sum)) < 0) {
      return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return sum;
  }

  static long saturatedSubtract(long a, long b) {
    long difference = a - b;
    if (((a ^ b) & (a ^ difference)) < 0) {
      return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return difference;
  }
}
