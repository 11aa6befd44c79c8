package dev.rabbitrpc.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs {@link CpuPerCall} with a handful of calls against the real broker: every peer and server
 * shape, and every request property, produce a row with a rate and this JVM's CPU. Never how fast.
 */
class CpuPerCallSmokeTest {
  private static final String ROW = "\\| .+ \\| +\\d+ calls/s \\| JVM +\\d+\\.\\d µs/call \\| broker (n/a| *\\d+\\.\\d µs/call) \\|";

  private static String run(String... args) throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    CpuPerCall.run(args, new PrintStream(buffer, true, StandardCharsets.UTF_8));
    return buffer.toString(StandardCharsets.UTF_8);
  }

  private static long rows(String report) {
    return report.lines().filter(line -> line.matches(ROW)).count();
  }

  @Test
  @Timeout(120)
  void measuresEveryPeerAndServerShape() throws Exception {
    String report = run("300");
    assertEquals(15, rows(report), "3 repetitions of 5 peers\n" + report);
    for (String peer : new String[] {"| raw ", "| raw + rabbit-rpc properties ", "rabbit-rpc server (defaults) ", "rabbit-rpc server (prefetch 100) ",
        "| rabbit-rpc async -> rabbit-rpc server "}) {
      assertTrue(report.contains(peer), peer + "\n" + report);
    }
  }

  @Test
  @Timeout(120)
  void measuresEachRequestPropertyAlone() throws Exception {
    String report = run("300", "--properties");
    assertEquals(12, rows(report), "2 repetitions of 4 properties, none and all\n" + report);
    for (RawClient.Property property : RawClient.Property.values()) {
      assertTrue(report.contains("| only " + property + " "), property + "\n" + report);
    }
  }
}
