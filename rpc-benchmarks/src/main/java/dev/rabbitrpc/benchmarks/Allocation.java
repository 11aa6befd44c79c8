package dev.rabbitrpc.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/** Memory measurements: bytes allocated by chosen threads, and heap in use after full GCs. */
final class Allocation {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private Allocation() {}

  /** Bytes allocated so far by the calling thread. */
  static long ofCurrentThread() {
    return THREADS.getCurrentThreadAllocatedBytes();
  }

  /** Bytes allocated so far by every live thread whose name starts with the prefix. */
  static long ofThreads(String namePrefix) {
    long total = 0;
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (thread.getName().startsWith(namePrefix)) {
        total += Math.max(0, THREADS.getThreadAllocatedBytes(thread.getId()));
      }
    }
    return total;
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
