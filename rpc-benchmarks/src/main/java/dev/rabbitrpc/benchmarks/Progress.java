package dev.rabbitrpc.benchmarks;

import java.io.PrintStream;
import java.time.Duration;

/**
 * Progress lines of a run, one per step, e.g.
 * {@code [progress 12/96] 32 threads 16 B rabbit-rpc sync round 3/5 (elapsed 1m12s)}, printed as
 * each step starts. The total is what {@link #plan} was told; a run with more steps than planned
 * shows the count so far as the total rather than a count past it. Not thread-safe: the harness
 * steps from one thread.
 */
final class Progress {
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private int planned;
  private int done;

  Progress(PrintStream out) {
    this.out = out;
  }

  /** Sets the number of steps the run will take. */
  void plan(int steps) {
    planned = steps;
  }

  /** The steps started so far. */
  int steps() {
    return done;
  }

  /** Prints the line of the next step, {@code what} it does. */
  void step(String what) {
    done++;
    out.println("[progress " + done + "/" + Math.max(planned, done) + "] " + what + " (elapsed " + elapsed() + ")");
  }

  /** Prints a line that is not a step, e.g. where the charts went. */
  void note(String text) {
    out.println("[progress] " + text + " (elapsed " + elapsed() + ")");
  }

  private String elapsed() {
    return format(Duration.ofNanos(System.nanoTime() - startNanos));
  }

  /** {@code 7s}, {@code 1m12s}, {@code 1h02m05s}. */
  static String format(Duration elapsed) {
    long seconds = elapsed.toSeconds();
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return seconds / 60 + "m" + String.format("%02d", seconds % 60) + "s";
    }
    return seconds / 3600 + "h" + String.format("%02dm%02ds", seconds / 60 % 60, seconds % 60);
  }
}
