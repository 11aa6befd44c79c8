package dev.rabbitrpc.examples.fibonacci;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Child processes for the examples' tests: run to completion, or read line by line, always bounded. */
final class Processes {
  private Processes() {}

  /** A finished process: its exit code and everything it printed. */
  record Result(int exitCode, String out, String err) {}

  /** The java launcher of the JVM running the tests. */
  static String java() {
    return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
  }

  /** Starts the process and waits at most {@code timeoutSeconds} for it to end; output is read as it comes. */
  static Result run(ProcessBuilder builder, long timeoutSeconds) throws Exception {
    Process process = builder.start();
    try {
      CompletableFuture<String> out = readAll(process.getInputStream());
      CompletableFuture<String> err = readAll(process.getErrorStream());
      assertTrue(process.waitFor(timeoutSeconds, TimeUnit.SECONDS),
          "finished within " + timeoutSeconds + " s: " + builder.command());
      return new Result(process.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
    } finally {
      process.destroyForcibly();
    }
  }

  private static CompletableFuture<String> readAll(InputStream stream) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /** The process's stdout, line by line, as it prints it. */
  static BlockingQueue<String> lines(Process process) {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          lines.add(line);
        }
      } catch (IOException e) {
        // the process ended
      }
    });
    reader.setDaemon(true);
    reader.start();
    return lines;
  }

  /** SIGTERM, so that shutdown hooks close servers and brokers; at most 30 s. */
  static void stop(Process process) throws InterruptedException {
    process.destroy();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s");
  }
}
