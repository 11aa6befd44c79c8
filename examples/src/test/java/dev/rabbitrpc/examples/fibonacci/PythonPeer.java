package dev.rabbitrpc.examples.fibonacci;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * One of the Python programs in interop/python, run as a real second process with Debian's
 * {@code /usr/bin/python3} (which has pika from {@code python3-pika}). Its output is collected
 * line by line; {@link #close()} kills it.
 */
final class PythonPeer implements AutoCloseable {
  static final String PYTHON = "/usr/bin/python3";
  static final Path SCRIPTS = Path.of("..", "interop", "python");
  static final String READY = " [x] Awaiting RPC requests";

  private final Process process;
  private final List<String> lines = new ArrayList<>();
  private final CountDownLatch ready = new CountDownLatch(1);
  private final Thread reader;

  private PythonPeer(Process process) {
    this.process = process;
    this.reader = new Thread(this::collect, "python-output");
    this.reader.setDaemon(true);
    this.reader.start();
  }

  /** Starts a script with arguments; stdout and stderr are collected together. */
  static PythonPeer start(String script, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(PYTHON, "-u", SCRIPTS.resolve(script).toString()));
    command.addAll(List.of(args));
    return new PythonPeer(new ProcessBuilder(command).redirectErrorStream(true).start());
  }

  /**
   * Makes sure {@code /usr/bin/python3} can import pika and cbor2 (the peer's CBOR, and the CBOR
   * vectors). Where it cannot, CI fails with the way to fix it; elsewhere the test is skipped with
   * that reason.
   */
  static void requirePikaAndCbor2() throws Exception {
    String problem = null;
    if (!Files.isExecutable(Path.of(PYTHON))) {
      problem = PYTHON + " is missing";
    } else {
      Process check = new ProcessBuilder(PYTHON, "-c", "import pika, cbor2").redirectErrorStream(true).start();
      if (!check.waitFor(30, TimeUnit.SECONDS)) {
        check.destroyForcibly();
        problem = PYTHON + " -c 'import pika, cbor2' did not finish within 30 s";
      } else if (check.exitValue() != 0) {
        problem = PYTHON + " cannot import pika and cbor2";
      }
    }
    if (problem == null) {
      return;
    }
    String message = problem + "; install them with: apt-get install -y python3-pika python3-cbor2 (.ci/install-python-pika.sh does)";
    if ("true".equals(System.getenv("CI"))) {
      fail(message);
    }
    Assumptions.abort(message);
  }

  private void collect() {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        synchronized (lines) {
          lines.add(line);
        }
        if (line.equals(READY)) {
          ready.countDown();
        }
      }
    } catch (IOException processEnded) {
      // the stream closes when the process is killed
    }
  }

  /** Waits until a server script says it is consuming (its queue is declared by then). */
  PythonPeer awaitReady(long seconds) throws InterruptedException {
    assertTrue(ready.await(seconds, TimeUnit.SECONDS), () -> "no '" + READY + "' within " + seconds + " s: " + output());
    return this;
  }

  /** Waits for the script to end by itself and returns its exit code. */
  int awaitExit(long seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      fail("the script did not finish within " + seconds + " s: " + output());
    }
    reader.join(TimeUnit.SECONDS.toMillis(seconds));
    return process.exitValue();
  }

  String output() {
    synchronized (lines) {
      return String.join("\n", lines);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
