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
    require("pika", "cbor2");
  }

  /** As {@link #requirePikaAndCbor2()}, for the tests whose peers need pika alone. */
  static void requirePika() throws Exception {
    require("pika");
  }

  private static void require(String... modules) throws Exception {
    String names = String.join(" and ", modules);
    String problem = null;
    if (!Files.isExecutable(Path.of(PYTHON))) {
      problem = PYTHON + " is missing";
    } else {
      String imports = "import " + String.join(", ", modules);
      Process check = new ProcessBuilder(PYTHON, "-c", imports).redirectErrorStream(true).start();
      if (!check.waitFor(30, TimeUnit.SECONDS)) {
        check.destroyForcibly();
        problem = PYTHON + " -c '" + imports + "' did not finish within 30 s";
      } else if (check.exitValue() != 0) {
        problem = PYTHON + " cannot import " + names;
      }
    }
    if (problem == null) {
      return;
    }
    String packages = String.join(" ", java.util.Arrays.stream(modules).map(module -> "python3-" + module).toList());
    String message = problem + "; install with: apt-get install -y " + packages + " (.ci/install-python-pika.sh does)";
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

  /** The servers' queues outlive them (they are durable, or the tutorial's); a test's unique queue must not. */
  static void deleteQueue(String queue) throws Exception {
    com.rabbitmq.client.ConnectionFactory factory = new com.rabbitmq.client.ConnectionFactory();
    String uri = System.getenv("RPC_AMQP_URI");
    factory.setUri(uri == null || uri.isBlank() ? "amqp://guest:guest@localhost:5672" : uri);
    try (com.rabbitmq.client.Connection connection = factory.newConnection("interop-cleanup");
        com.rabbitmq.client.Channel channel = connection.createChannel()) {
      channel.queueDelete(queue);
    }
  }
}
