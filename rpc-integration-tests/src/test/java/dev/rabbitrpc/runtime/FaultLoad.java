package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The fault suites' load ({@link FaultSuiteIT}, {@link ClusterFaultIT}): caller threads calling
 * {@link Ledger#add} (fast), {@link Ledger#slowAdd} (every 4th call) and, if asked, the
 * {@link dev.rabbitrpc.api.Idempotent} {@link Ledger#echo} (every 3rd of the others) in a loop,
 * counting answers right, wrong, failed by code, untyped, and later than deadline + 1 s; which calls
 * succeeded while the fault lasted; and the first success after it (the recovery time).
 */
final class FaultLoad {
  final LongAdder ok = new LongAdder();
  final LongAdder wrong = new LongAdder();
  final LongAdder untyped = new LongAdder();
  final LongAdder late = new LongAdder();
  /** Calls that started after the fault began and succeeded before it was over. */
  final LongAdder okDuringFault = new LongAdder();
  final Map<Code, LongAdder> failed = new EnumMap<>(Code.class);
  final AtomicReference<Throwable> firstUntyped = new AtomicReference<>();
  private final Ledger ledger;
  private final long timeoutMillis;
  private final long slowMillis;
  private final boolean idempotentCalls;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running = true;
  private volatile long faultStartNanos = Long.MAX_VALUE;
  private volatile long faultOverNanos = Long.MAX_VALUE;
  private final AtomicLong firstSuccessAfterFault = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong firstSuccessDuringFault = new AtomicLong(Long.MAX_VALUE);
  /** When the last call succeeded, and the longest time between two successes (any thread). */
  private final AtomicLong lastSuccessNanos = new AtomicLong(System.nanoTime());
  private final AtomicLong longestGapNanos = new AtomicLong();

  private FaultLoad(Ledger ledger, long timeoutMillis, long slowMillis, boolean idempotentCalls) {
    this.ledger = ledger;
    this.timeoutMillis = timeoutMillis;
    this.slowMillis = slowMillis;
    this.idempotentCalls = idempotentCalls;
    for (Code code : Code.values()) {
      failed.put(code, new LongAdder());
    }
  }

  /**
   * Starts {@code threads} callers of a client whose deadline is {@code timeoutMillis}; slowAdd
   * sleeps {@code slowMillis}; {@code idempotentCalls} mixes in echo calls.
   */
  static FaultLoad start(Ledger ledger, int threads, long timeoutMillis, long slowMillis, boolean idempotentCalls) {
    FaultLoad load = new FaultLoad(ledger, timeoutMillis, slowMillis, idempotentCalls);
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread worker = new Thread(() -> load.callInALoop(thread), "load-" + t);
      load.threads.add(worker);
      worker.start();
    }
    return load;
  }

  private void callInALoop(int thread) {
    for (long i = 0; running; i++) {
      String id = thread + "-" + i + "-" + System.nanoTime();
      long start = System.nanoTime();
      boolean failedTyped = false;
      try {
        boolean right;
        if (idempotentCalls && i % 4 != 0 && i % 3 == 0) {
          right = ledger.echo(id).equals(id);
        } else {
          long result = i % 4 == 0 ? ledger.slowAdd(id, i, slowMillis) : ledger.add(id, i);
          right = result == i + 1;
        }
        if (right) {
          ok.increment();
          long end = System.nanoTime();
          long previous = lastSuccessNanos.getAndAccumulate(end, Math::max);
          longestGapNanos.accumulateAndGet(end - previous, Math::max);
          if (start >= faultStartNanos && end <= faultOverNanos) {
            okDuringFault.increment();
            firstSuccessDuringFault.accumulateAndGet(end, Math::min);
          }
          if (start > faultOverNanos) {
            firstSuccessAfterFault.accumulateAndGet(end, Math::min);
          }
        } else {
          wrong.increment();
        }
      } catch (RpcException e) {
        failed.get(e.code()).increment();
        failedTyped = true;
      } catch (Throwable t) {
        untyped.increment();
        firstUntyped.compareAndSet(null, t);
      }
      // The promise: every call ends by its deadline, whatever the fault. The 1 s beyond it is
      // what a loaded machine (this JVM runs 32 callers and maybe 32 handlers) may take to wake a
      // caller whose deadline passed. Measured around the call alone: the client was connected
      // and warm before the load started, and the retry pause below comes after.
      if (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) > timeoutMillis + 1_000) {
        late.increment();
      }
      if (failedTyped) {
        pause(); // a failing loop must not spin: this is the load generator's retry interval
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Lets the load run for a while: the duration of one phase of the fault scenario. */
  void runFor(long millis) throws InterruptedException {
    Thread.sleep(millis);
  }

  /** The fault begins now: calls started from now on and answered before {@link #markFaultOver()} count as during it. */
  void markFaultStart() {
    faultStartNanos = System.nanoTime();
  }

  void markFaultOver() {
    faultOverNanos = System.nanoTime();
  }

  /**
   * From the start of the fault to the first success of a call that started after it and ended
   * before the fault was over (the failover time); -1 if none.
   */
  long failoverMillis() {
    long first = firstSuccessDuringFault.get();
    return first == Long.MAX_VALUE ? -1 : TimeUnit.NANOSECONDS.toMillis(first - faultStartNanos);
  }

  long recoveryMillis() {
    long first = firstSuccessAfterFault.get();
    return first == Long.MAX_VALUE ? -1 : TimeUnit.NANOSECONDS.toMillis(first - faultOverNanos);
  }

  /** The longest time in which no call succeeded, from the start of the load to the last success. */
  long longestGapMillis() {
    return TimeUnit.NANOSECONDS.toMillis(longestGapNanos.get());
  }

  void stop() throws InterruptedException {
    running = false;
    for (Thread thread : threads) {
      thread.join(timeoutMillis * 3);
      assertTrue(!thread.isAlive(), "load thread ended");
    }
  }

  Map<Code, Long> failures() {
    Map<Code, Long> nonZero = new EnumMap<>(Code.class);
    failed.forEach((code, count) -> {
      if (count.sum() > 0) {
        nonZero.put(code, count.sum());
      }
    });
    return nonZero;
  }
}
