package dev.rabbitrpc.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the harness in {@code --smoke} mode against the real broker: a handful of calls of every
 * peer, scenario and payload, the first-call probes and the heap probe. It checks that every part
 * ran and produced a figure, never how fast: timing belongs to real runs (docs/BENCHMARKS.md).
 */
class EndToEndBenchmarkSmokeTest {

  @Test
  @Timeout(120)
  void smokeRunMeasuresEveryPeerScenarioAndPayload() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    long start = System.nanoTime();
    int exit = EndToEndBenchmark.run(new String[] {"--smoke"}, new PrintStream(buffer, true, StandardCharsets.UTF_8));
    String report = buffer.toString(StandardCharsets.UTF_8);

    assertEquals(0, exit, report);
    for (String payload : new String[] {"16 B", "1 KiB", "64 KiB", "1 MiB"}) {
      for (String peer : new String[] {"raw", EndToEndBenchmark.TUTORIAL, "raw -> rabbit-rpc server", "JsonRpcClient",
          "RabbitTemplate", "rabbit-rpc sync"}) {
        assertTrue(report.contains("| sequential | " + payload + " | " + peer + " |"), peer + " " + payload + "\n" + report);
      }
    }
    for (String peer : new String[] {"JsonRpcClient", "RabbitTemplate", "rabbit-rpc sync"}) {
      assertTrue(report.contains("| 4 threads | 16 B | " + peer + " |"), peer + " 4 threads\n" + report);
    }
    assertTrue(report.matches("(?s).*RabbitTemplate client: spring-rabbit \\d+\\.\\d+\\.\\d+,.*"),
        "spring-rabbit version named\n" + report);
    assertTrue(report.contains("| 256 in flight | 16 B | rabbit-rpc async |"), report);
    assertTrue(report.contains("| 256 in flight | 16 B | raw pipelined |"), report);
    assertTrue(report.contains("| 256 in flight | 16 B | " + EndToEndBenchmark.TUTORIAL_PIPELINED + " |"), report);
    // Fairness: each pair of server processes ran calls, and every row says which server ran how many.
    for (String servers : new String[] {EndToEndBenchmark.FAIR_RPC, EndToEndBenchmark.FAIR_RPC_2_WORKERS,
        EndToEndBenchmark.TUTORIAL, EndToEndBenchmark.TUTORIAL_PREFETCH_1}) {
      assertTrue(report.matches("(?s).*\\| " + java.util.regex.Pattern.quote(servers)
          + " \\| \\d+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\| [AB] \\d+.*"), servers + "\n" + report);
    }
    assertTrue(report.matches("(?s).*rabbit-rpc: +\\d+\\.\\d ms.*"), "first call measured\n" + report);
    assertTrue(report.matches("(?s).*rabbit-rpc: +\\d+ B.*"), "heap per call measured\n" + report);
    System.out.println(report + "\nsmoke run took " + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
  }

  @Test
  void unknownArgumentIsAUsageError() throws Exception {
    assertEquals(2, EndToEndBenchmark.run(new String[] {"--fast"}, new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8)));
  }
}
