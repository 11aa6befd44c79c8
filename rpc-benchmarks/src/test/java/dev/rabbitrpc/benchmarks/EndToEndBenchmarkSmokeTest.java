package dev.rabbitrpc.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the harness in {@code --smoke} mode against the real broker: a handful of calls of every
 * peer (the observed + traced one too: {@code --traced}), scenario and payload, the first-call
 * probes and the heap probe. It checks that every part ran and produced a figure, that the charts
 * were written and that progress was printed, never how fast: timing belongs to real runs
 * (docs/BENCHMARKS.md). The broker is {@code RPC_AMQP_URI}, else RabbitMQ on localhost.
 */
class EndToEndBenchmarkSmokeTest {

  @TempDir
  Path charts;

  @Test
  @Timeout(120)
  void smokeRunMeasuresEveryPeerScenarioAndPayload() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    ByteArrayOutputStream progressBuffer = new ByteArrayOutputStream();
    long start = System.nanoTime();
    int exit = EndToEndBenchmark.run(new String[] {"--smoke", "--traced", "--charts", charts.toString()},
        new PrintStream(buffer, true, StandardCharsets.UTF_8), new PrintStream(progressBuffer, true, StandardCharsets.UTF_8));
    String report = buffer.toString(StandardCharsets.UTF_8);
    String progress = progressBuffer.toString(StandardCharsets.UTF_8);

    assertEquals(0, exit, report);
    for (String payload : new String[] {"16 B", "1 KiB", "64 KiB", "1 MiB"}) {
      for (String peer : new String[] {"raw", EndToEndBenchmark.TUTORIAL, "raw -> rabbit-rpc server", "JsonRpcClient",
          "RabbitTemplate", "rabbit-rpc sync"}) {
        assertTrue(report.contains("| sequential | " + payload + " | " + peer + " |"), peer + " " + payload + "\n" + report);
      }
    }
    for (String payload : new String[] {"64 KiB", "1 MiB"}) {
      assertTrue(report.contains("| sequential | " + payload + " | " + EndToEndBenchmark.CBOR + " |"), payload + "\n" + report);
    }
    for (String peer : new String[] {"JsonRpcClient", "RabbitTemplate", "rabbit-rpc sync"}) {
      assertTrue(report.contains("| 4 threads | 16 B | " + peer + " |"), peer + " 4 threads\n" + report);
    }
    // The observed peers, at 16 B, sequentially and on many threads, and what they cost against the plain one.
    for (String peer : new String[] {ObservedPeers.METERED, ObservedPeers.TRACED}) {
      assertTrue(report.contains("| sequential | 16 B | " + peer + " |"), peer + "\n" + report);
      assertTrue(report.contains("| 4 threads | 16 B | " + peer + " |"), peer + " 4 threads\n" + report);
      assertTrue(report.matches("(?s).*\n  - " + Pattern.quote(peer) + ": sequential p50 [-+][\\d.]+ %, 4 threads calls/s "
          + "[-+][\\d.]+ %, client allocation \\d+ B/call \\([-+]\\d+ B\\), client CPU [\\d.]+ µs/call .*"),
          peer + " cost\n" + report);
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
    // Streaming: every peer of every group moved its items, with a rate, an allocation and a peak heap.
    for (String group : new String[] {"16 B", "1 KiB"}) {
      for (String peer : new String[] {Streaming.RPC_STREAM, Streaming.RAW_STREAM, Streaming.RPC_UNARY,
          "rabbit-rpc unary, 4 threads"}) {
        assertStreamingRow(report, group, peer);
      }
    }
    for (String peer : new String[] {Streaming.RPC_STREAM + ", 256 KiB items", Streaming.RAW_STREAM + ", 256 KiB items",
        "rabbit-rpc unary, 1 MiB calls"}) {
      assertStreamingRow(report, "64 MiB", peer);
    }
    assertTrue(report.matches("(?s).*rabbit-rpc: +\\d+\\.\\d ms.*"), "first call measured\n" + report);
    assertTrue(report.matches("(?s).*The first 20 sequential calls.*rabbit-rpc: +\\d+\\.\\d ms \\(\\d+\\.\\d\\dx\\).*"),
        "the new JVMs' first calls measured\n" + report);
    assertTrue(report.matches("(?s).*- first 20 calls in a new JVM, vs raw: \\d+\\.\\d\\dx \\(target <= 1\\.2\\) (met|MISSED).*"),
        "a target, measured\n" + report);
    assertTrue(report.matches("(?s).*rabbit-rpc: +\\d+ B.*"), "heap per call measured\n" + report);

    // One chart per scenario and payload, and the targets.
    for (String chart : List.of("sequential-16-b", "sequential-1-kib", "sequential-64-kib", "sequential-1-mib",
        "4-threads-16-b", "256-in-flight-16-b", "fairness-2-servers-1-call-in-100-slow", "targets")) {
      ChartsTest.assertPng(charts.resolve(chart + ".png"));
    }

    // A line per step, counted up to the total planned at the start, on the progress stream only.
    ProgressLines.assertCountUpToPlan(progress);
    for (String step : List.of("] sequential 16 B raw warm-up ", "] sequential 1 MiB rabbit-rpc sync round 1/5 ",
        "] 4 threads 16 B RabbitTemplate round 5/5 ", "] 256 in flight 16 B rabbit-rpc async round 3/5 ",
        "] fairness " + EndToEndBenchmark.FAIR_RPC_2_WORKERS + " (elapsed",
        "] streaming 1 KiB " + Streaming.RAW_STREAM + " round 3/3 ", "] first call rabbit-rpc, new JVM 1/1 ", "] heap per call in flight raw, 1000 calls ")) {
      assertTrue(progress.contains(step), step + "\n" + progress);
    }
    assertTrue(progress.contains("[progress] 8 charts in "), progress);
    assertFalse(report.contains("[progress"), "progress stays off the report\n" + report);
    System.out.println(report + "\nsmoke run took " + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
  }

  private static void assertStreamingRow(String report, String group, String peer) {
    assertTrue(report.matches("(?s).*\n\\| " + Pattern.quote(group) + " \\| " + Pattern.quote(peer)
        + " \\| [1-9]\\d* \\| [1-9]\\d* \\| [\\d.]+ \\| [\\d.]+ \\| [1-9]\\d* \\| [\\d.]+ \\| [1-9]\\d* \\|\n.*"),
        "streaming " + group + " " + peer + "\n" + report);
  }

  @Test
  void streamingOnlyRunsTheStreamingScenarioAlone() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    ByteArrayOutputStream progressBuffer = new ByteArrayOutputStream();
    assertEquals(0, EndToEndBenchmark.run(new String[] {"--smoke", "--streaming-only", "--charts", charts.toString()},
        new PrintStream(buffer, true, StandardCharsets.UTF_8), new PrintStream(progressBuffer, true, StandardCharsets.UTF_8)));
    String report = buffer.toString(StandardCharsets.UTF_8);
    assertStreamingRow(report, "16 B", Streaming.RPC_STREAM);
    assertFalse(report.contains("| sequential |"), report);
    assertFalse(report.contains("Targets"), report);
    ProgressLines.assertCountUpToPlan(progressBuffer.toString(StandardCharsets.UTF_8));
  }

  @Test
  void noStreamingAndStreamingOnlyAreAUsageError() throws Exception {
    assertEquals(2, EndToEndBenchmark.run(new String[] {"--no-streaming", "--streaming-only"},
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
  }

  @Test
  void unknownArgumentIsAUsageError() throws Exception {
    assertEquals(2, EndToEndBenchmark.run(new String[] {"--fast"}, new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8)));
  }
}
