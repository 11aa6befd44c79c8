package dev.rabbitrpc.benchmarks;

import java.util.Arrays;

/**
 * The outcome of one peer in one scenario: latency percentiles from every measured call, and the
 * throughput over the measured phase's wall time.
 *
 * @param calls measured calls (warm-up excluded)
 * @param p50Nanos median latency
 * @param p99Nanos 99th percentile latency
 * @param callsPerSecond measured calls divided by the measured phase's wall time
 * @param allocatedBytesPerCall bytes allocated by the client's threads per call, or -1 if not measured
 * @param cpuNanosPerCall CPU time of the client's threads per call, or -1 if not measured
 */
record Stats(int calls, long p50Nanos, long p99Nanos, double callsPerSecond, long allocatedBytesPerCall,
    long cpuNanosPerCall) {

  static Stats of(long[] latencies, long wallNanos, Allocation.Usage client) {
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    return new Stats(sorted.length, percentile(sorted, 0.50), percentile(sorted, 0.99),
        sorted.length * 1e9 / Math.max(1, wallNanos),
        client == null ? -1 : client.bytes() / sorted.length,
        client == null ? -1 : client.cpuNanos() / sorted.length);
  }

  /** Nearest-rank percentile of sorted values. */
  static long percentile(long[] sorted, double fraction) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(fraction * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
