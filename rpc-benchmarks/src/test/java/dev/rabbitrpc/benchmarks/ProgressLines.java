package dev.rabbitrpc.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the smoke tests check of a run's {@link Progress} lines. */
final class ProgressLines {
  private static final Pattern PROGRESS = Pattern.compile("(?m)^\\[progress (\\d+)/(\\d+)] (.+) \\(elapsed \\d.*\\)$");

  private ProgressLines() {}

  /** A line per step, counted up to the total planned at the start and never past it; at least one. */
  static void assertCountUpToPlan(String progress) {
    Matcher lines = PROGRESS.matcher(progress);
    int steps = 0;
    int total = -1;
    while (lines.find()) {
      steps++;
      assertEquals(steps, Integer.parseInt(lines.group(1)), progress);
      total = total < 0 ? Integer.parseInt(lines.group(2)) : total;
      assertEquals(total, Integer.parseInt(lines.group(2)), "the total planned up front holds\n" + progress);
    }
    assertTrue(steps > 0, "progress lines\n" + progress);
    assertEquals(total, steps, "as many steps as planned\n" + progress);
  }
}
