package dev.rabbitrpc.examples.fibonacci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The README's embedded-broker measurement runs end to end and reports in its documented format. */
class EmbeddedTimingTest {
  @Test
  void reportsStartTimesAndRoundTripPercentiles() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    EmbeddedTiming.run(20, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(3, lines.length, String.join("\n", lines));
    assertTrue(lines[0].matches("embedded broker start: \\d+ ms"), lines[0]);
    assertTrue(lines[1].matches("round trip over 20 calls: p50 \\d+\\.\\d{3} ms, p90 \\d+\\.\\d{3} ms, p99 \\d+\\.\\d{3} ms"),
        lines[1]);
    assertTrue(lines[2].matches("embedded broker start, again in this JVM: \\d+ ms"), lines[2]);
  }
}
