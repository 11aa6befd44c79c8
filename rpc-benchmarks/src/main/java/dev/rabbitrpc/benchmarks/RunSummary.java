package dev.rabbitrpc.benchmarks;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What one run of {@link EndToEndBenchmark} measured, as {@link Charts} draws it: the figures the
 * report prints, collected as the harness prints them (never parsed back from the report).
 * Immutable.
 *
 * @param mode the run's mode, e.g. {@code quick} or {@code full}
 * @param date when the run started
 * @param cores available processors of the machine that ran it
 * @param broker the broker, e.g. {@code RabbitMQ 3.10.8}
 * @param rows every measured row of the report's table, in the report's order
 * @param targets every target line of the report, in the report's order
 */
record RunSummary(String mode, Instant date, int cores, String broker, List<Row> rows, List<Target> targets) {

  RunSummary {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(date, "date");
    Objects.requireNonNull(broker, "broker");
    rows = List.copyOf(rows);
    targets = List.copyOf(targets);
  }

  /**
   * One peer in one scenario at one payload; a figure that was not measured is {@code NaN}.
   *
   * @param scenario e.g. {@code sequential}, {@code 32 threads}
   * @param payload e.g. {@code 16 B}, {@code 1 MiB}
   * @param peer e.g. {@code raw}, {@code rabbit-rpc sync}
   * @param calls measured calls
   * @param p50Micros median latency, µs
   * @param p99Micros 99th percentile latency, µs
   * @param callsPerSecond measured calls over the measured wall time
   * @param p50Ratio p50 over raw's p50 in the same scenario and payload
   * @param callsPerSecondRatio calls/s over raw's calls/s in the same scenario and payload
   */
  record Row(String scenario, String payload, String peer, int calls, double p50Micros, double p99Micros,
      double callsPerSecond, double p50Ratio, double callsPerSecondRatio) {

    Row {
      Objects.requireNonNull(scenario, "scenario");
      Objects.requireNonNull(payload, "payload");
      Objects.requireNonNull(peer, "peer");
    }
  }

  /**
   * One target of docs/BENCHMARKS.md and what this run measured for it.
   *
   * @param what what is measured, e.g. {@code sequential sync p50, 16 B}
   * @param value the measured value, {@code NaN} if not measured in this run
   * @param unit the unit as the report prints it after the value, e.g. {@code x}, {@code  ms}
   * @param relation {@code <=} or {@code >=}: how the value must stand to the limit
   * @param limit the target's limit
   */
  record Target(String what, double value, String unit, String relation, double limit) {

    Target {
      Objects.requireNonNull(what, "what");
      Objects.requireNonNull(unit, "unit");
      if (!"<=".equals(relation) && !">=".equals(relation)) {
        throw new IllegalArgumentException("relation must be <= or >=, not " + relation);
      }
    }

    /** Whether this run measured it. */
    boolean measured() {
      return !Double.isNaN(value);
    }

    /** Whether it was measured and met. */
    boolean met() {
      return measured() && ("<=".equals(relation) ? value <= limit : value >= limit);
    }
  }
}
