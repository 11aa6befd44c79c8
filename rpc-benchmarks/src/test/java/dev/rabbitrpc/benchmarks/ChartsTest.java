package dev.rabbitrpc.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Charts} on hand-built runs: no broker. */
class ChartsTest {
  private static final Instant DATE = Instant.parse("2026-12-01T12:00:00Z");

  @TempDir
  Path dir;

  @Test
  void rendersOneChartPerScenarioAndPayloadAndOneOfTheTargets() throws Exception {
    RunSummary run = new RunSummary("quick", DATE, 2, "RabbitMQ 3.10.8", List.of(
        row("sequential", "16 B", "raw", 270, 600, 3500, 1, 1),
        row("sequential", "16 B", "rabbit-rpc sync", 290, 4000, 3200, 1.07, 0.91),
        // A peer and a scenario the charts have never seen, and figures that were not measured.
        row("sequential", "16 B", "tutorial server (prefetch 100)", 280, Double.NaN, 3400, 1.04, 0.97),
        row("fairness, 2 servers", "1 KiB", "raw", 300, 500, 3000, 1, 1),
        row("fairness, 2 servers", "1 KiB", "server B", Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN),
        row("256 in flight", "16 B", "raw pipelined", 27_000, 39_000, 9000, 1, 1)),
        List.of(new RunSummary.Target("sequential sync p50, 16 B", 1.07, "x", "<=", 1.10),
            new RunSummary.Target("32 threads calls/s, 16 B", 0.88, "x", ">=", 0.95),
            new RunSummary.Target("first call, ms over raw", Double.NaN, " ms", "<=", 60),
            new RunSummary.Target("heap per call in flight, B", 290, " B", "<=", 1024)));

    List<Path> files = Charts.render(run, dir);

    assertEquals(List.of(dir.resolve("sequential-16-b.png"), dir.resolve("fairness-2-servers-1-kib.png"),
        dir.resolve("256-in-flight-16-b.png"), dir.resolve(Charts.TARGETS_FILE)), files);
    for (Path file : files) {
      assertPng(file);
    }
    BufferedImage targets = ImageIO.read(dir.resolve(Charts.TARGETS_FILE).toFile());
    assertTrue(contains(targets, Charts.MET), "a met target is drawn green");
    assertTrue(contains(targets, Charts.MISSED), "a missed target is drawn red");
    assertTrue(GraphicsEnvironment.isHeadless(), "rendering needs no display");
  }

  @Test
  void aRunThatMeetsEveryTargetHasNoRed() throws Exception {
    RunSummary run = new RunSummary("full", DATE, 2, "RabbitMQ 3.10.8", List.of(),
        List.of(new RunSummary.Target("sequential sync p50, 16 B", 1.02, "x", "<=", 1.10),
            new RunSummary.Target("32 threads calls/s, 16 B", 0.99, "x", ">=", 0.95)));
    Charts.render(run, dir);
    BufferedImage targets = ImageIO.read(dir.resolve(Charts.TARGETS_FILE).toFile());
    assertTrue(contains(targets, Charts.MET));
    assertFalse(contains(targets, Charts.MISSED));
  }

  @Test
  void aTargetWithoutRowsAndRowsWithoutTargetsStillRender() throws Exception {
    RunSummary onlyTargets = new RunSummary("smoke", DATE, 1, "RabbitMQ 4.1.0", List.of(),
        List.of(new RunSummary.Target("dropped replies", 3, "", "<=", 0)));
    assertEquals(List.of(dir.resolve(Charts.TARGETS_FILE)), Charts.render(onlyTargets, dir));
    assertPng(dir.resolve(Charts.TARGETS_FILE));

    Path other = dir.resolve("rows only");
    RunSummary onlyRows = new RunSummary("full", DATE, 2, "RabbitMQ 3.10.8",
        List.of(row("sequential", "1 MiB", "raw", Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN)),
        List.of());
    assertEquals(List.of(other.resolve("sequential-1-mib.png")), Charts.render(onlyRows, other));
    assertPng(other.resolve("sequential-1-mib.png"));
  }

  @Test
  void scenariosThatNameTheSameFileGetDistinctFiles() throws IOException {
    RunSummary run = new RunSummary("quick", DATE, 2, "RabbitMQ 3.10.8", List.of(
        row("32 threads", "16 B", "raw", 4000, 6000, 7500, 1, 1),
        row("32-threads", "16 B", "raw", 4100, 6100, 7400, 1, 1)), List.of());
    assertEquals(List.of(dir.resolve("32-threads-16-b.png"), dir.resolve("32-threads-16-b-2.png")),
        Charts.render(run, dir));
  }

  @Test
  void latenciesSpanningMoreThanADecadeGetALogAxis() {
    assertTrue(Charts.logScale(270, 4050));
    assertFalse(Charts.logScale(270, 600));
    assertFalse(Charts.logScale(Double.POSITIVE_INFINITY, 0), "no latency at all");
  }

  @Test
  void targetsKnowWhetherTheyAreMet() {
    assertTrue(new RunSummary.Target("p50", 1.05, "x", "<=", 1.10).met());
    assertFalse(new RunSummary.Target("p50", 1.15, "x", "<=", 1.10).met());
    assertTrue(new RunSummary.Target("calls/s", 0.96, "x", ">=", 0.95).met());
    RunSummary.Target notMeasured = new RunSummary.Target("calls/s", Double.NaN, "x", ">=", 0.95);
    assertFalse(notMeasured.measured());
    assertFalse(notMeasured.met());
    assertThrows(IllegalArgumentException.class, () -> new RunSummary.Target("p50", 1, "x", "<", 1));
  }

  @Test
  void slugsAndElapsedTimes() {
    assertEquals("256-in-flight-1-kib", Charts.slug("256 in flight 1 KiB"));
    assertEquals("raw-rabbit-rpc-server", Charts.slug("raw -> rabbit-rpc server"));
    assertEquals("chart", Charts.slug("µ"));
    assertEquals("7s", Progress.format(Duration.ofSeconds(7)));
    assertEquals("1m12s", Progress.format(Duration.ofSeconds(72)));
    assertEquals("1h02m05s", Progress.format(Duration.ofSeconds(3725)));
  }

  private static RunSummary.Row row(String scenario, String payload, String peer, double p50, double p99,
      double callsPerSecond, double p50Ratio, double callsRatio) {
    return new RunSummary.Row(scenario, payload, peer, 1000, p50, p99, callsPerSecond, p50Ratio, callsRatio);
  }

  /** A PNG (by its signature) that ImageIO decodes at the charts' size. */
  static void assertPng(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    byte[] signature = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assertTrue(bytes.length > signature.length, file + " is empty");
    for (int i = 0; i < signature.length; i++) {
      assertEquals(signature[i], bytes[i], file + ": not a PNG");
    }
    BufferedImage image = ImageIO.read(file.toFile());
    assertNotNull(image, file + ": ImageIO cannot decode it");
    assertEquals(Charts.WIDTH, image.getWidth(), file.toString());
    assertEquals(Charts.HEIGHT, image.getHeight(), file.toString());
  }

  private static boolean contains(BufferedImage image, Color colour) {
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        if ((image.getRGB(x, y) & 0xFFFFFF) == (colour.getRGB() & 0xFFFFFF)) {
          return true;
        }
      }
    }
    return false;
  }
}
