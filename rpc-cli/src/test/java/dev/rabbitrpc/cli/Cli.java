package dev.rabbitrpc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Runs {@code rabbit-rpc} in the test's JVM ({@link Main#run}) with a broker URI in its environment. */
final class Cli {
  private Cli() {}

  /** What one command line did. */
  record Result(int status, String out, String err) {
    /** The one line a failure prints, checked to be one line and no stack trace. */
    String errorLine() {
      List<String> lines = err.lines().toList();
      assertEquals(1, lines.size(), () -> "one line on stderr, got: " + err);
      assertTrue(lines.get(0).startsWith("error: "), err);
      assertFalse(err.contains("\tat ") || err.contains("Caused by"), err);
      return lines.get(0);
    }

    @Override
    public String toString() {
      return "status " + status + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  static Result run(String uri, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), uri == null ? Map.of() : Map.of("RPC_AMQP_URI", uri));
    return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
