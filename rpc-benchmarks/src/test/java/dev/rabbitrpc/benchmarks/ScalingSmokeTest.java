package dev.rabbitrpc.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@link Scaling} in {@code --smoke} mode against the real broker ({@code RPC_AMQP_URI}, else
 * RabbitMQ on localhost), with real server and client JVMs: every part runs and every figure of the
 * report is produced, the progress lines count up to their plan. It never checks how fast: timing
 * belongs to real runs (docs/SCALING.md).
 */
class ScalingSmokeTest {
  private static final String NUMBER = "[\\d.]+";

  @TempDir
  Path dir;

  @Test
  @Timeout(180)
  void smokeRunProducesEveryFigure() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    ByteArrayOutputStream progressBuffer = new ByteArrayOutputStream();
    Path file = dir.resolve("scaling.md");
    int exit = Scaling.run(new String[] {"--smoke", "--out", file.toString()},
        new PrintStream(buffer, true, StandardCharsets.UTF_8), new PrintStream(progressBuffer, true, StandardCharsets.UTF_8));
    String report = buffer.toString(StandardCharsets.UTF_8);
    String progress = progressBuffer.toString(StandardCharsets.UTF_8);

    assertEquals(0, exit, report + progress);
    assertEquals(report, Files.readString(file), "--out holds the report");
    assertTrue(report.contains("load average at start: "), report);
    // 1. Server processes: a row per count, each server named with the calls it ran.
    assertRow(report, "\\| 1 \\| N \\| N \\| N \\| 1.00x \\| N \\| N \\| S1 \\d+ \\|");
    assertRow(report, "\\| 2 \\| N \\| N \\| N \\| Nx \\| N \\| N \\| S1 \\d+, S2 \\d+ \\|");
    assertRow(report, "Ceiling: the same 2 servers with an instant handler and \\d+ calls in flight: \\*\\*N calls/s\\*\\*");
    for (String server : new String[] {"S1", "S2", "slow3"}) {
      assertRow(report, "\\| " + server + " \\| (5|50) \\| \\d+ \\| N% \\| N \\| N \\|");
    }
    // 2. Client processes: throughput, idle and per-call traffic, what each asked the broker for.
    for (String clients : new String[] {"1", "2"}) {
      assertRow(report, "\\| " + clients + " \\| N \\| Nx \\| N \\| N \\| N \\| N \\| N \\| N \\| N \\|");
      assertRow(report, "\\| " + clients + " \\| 64 \\| N \\| N \\| N \\| N \\| N \\| N \\|");
      assertRow(report, "\\| " + clients + " \\|( N \\[\\d+-\\d+] \\|){6}");
    }
    assertTrue(report.contains("The broker's own counts"), report);
    // 3. One queue vs two, raw and rabbit-rpc.
    for (String peer : new String[] {"raw", "rabbit-rpc"}) {
      for (String queues : new String[] {"1", "2"}) {
        assertRow(report, "\\| " + peer + " \\| " + queues + " \\| N \\| Nx \\| N \\| N \\| N \\| this JVM N.*\\|");
      }
    }

    ProgressLines.assertCountUpToPlan(progress);
    assertFalse(report.contains("[progress"), "progress stays off the report\n" + report);
    System.out.println(report);
  }

  @Test
  void unknownArgumentIsAUsageError() throws Exception {
    PrintStream discard = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertEquals(2, Scaling.run(new String[] {"--fast"}, discard, discard));
  }

  /** A line of the report matching {@code pattern}, where N stands for a number. */
  private static void assertRow(String report, String pattern) {
    Pattern line = Pattern.compile("(?m)^.*" + pattern.replace("N", NUMBER) + ".*$");
    assertTrue(line.matcher(report).find(), pattern + "\n" + report);
  }
}
