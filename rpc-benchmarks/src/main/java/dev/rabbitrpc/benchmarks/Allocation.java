package dev.rabbitrpc.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Resource measurements: bytes allocated and CPU time used by chosen threads, and heap in use after
 * full GCs.
 */
final class Allocation {
  /** Bytes allocated and CPU nanoseconds used by some threads, so far. */
  record Usage(long bytes, long cpuNanos) {
    Usage plus(Usage other) {
      return new Usage(bytes + other.bytes, cpuNanos + other.cpuNanos);
    }

    Usage minus(Usage other) {
      return new Usage(bytes - other.bytes, cpuNanos - other.cpuNanos);
    }
  }

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private Allocation() {}

  /** What the calling thread used so far. */
  static Usage ofCurrentThread() {
    return new Usage(THREADS.getCurrentThreadAllocatedBytes(), THREADS.getCurrentThreadCpuTime());
  }

  /** What every live thread whose name starts with the prefix used so far. */
  static Usage ofThreads(String namePrefix) {
    long bytes = 0;
    long cpu = 0;
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (thread.getName().startsWith(namePrefix)) {
        bytes += Math.max(0, THREADS.getThreadAllocatedBytes(thread.getId()));
        cpu += Math.max(0, THREADS.getThreadCpuTime(thread.getId()));
      }
    }
    return new Usage(bytes, cpu);
  }

  /** Heap in use after full collections, once it stops shrinking (at most five collections). */
  static long heapUsedAfterGc() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      MEMORY.gc();
      long now = MEMORY.getHeapMemoryUsage().getUsed();
      if (now >= used) {
        return now;
      }
      used = now;
    }
    return used;
  }
}
