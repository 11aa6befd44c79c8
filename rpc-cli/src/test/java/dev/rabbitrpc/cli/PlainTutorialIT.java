package dev.rabbitrpc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code call --plain} against the RabbitMQ tutorial's own Python server (interop/python/rpc_server.py,
 * pika), as a real second process: {@code rabbit-rpc call --plain QUEUE fib 30} prints 832040. On
 * RabbitMQ only (the tutorial's peers are tested there, as the examples' PythonInteropIT); it needs
 * pika for /usr/bin/python3 (.ci/install-python-pika.sh) and fails without it in CI.
 */
@RpcBrokerTest
class PlainTutorialIT {
  private static final String PYTHON = "/usr/bin/python3";
  private static final Path SERVER = Path.of("..", "interop", "python", "rpc_server.py");

  private final RpcBroker broker;

  PlainTutorialIT(RpcBroker broker) {
    this.broker = broker;
  }

  @Test
  void plainCallOfTheTutorialsPythonServerPrintsItsAnswer() throws Exception {
    Assumptions.assumeTrue(broker.isRabbitMq(), "the tutorial's Python peers are tested on RabbitMQ");
    requirePika();
    String queue = broker.uniqueQueue("cli-tutorial");
    broker.deleteAfterTest(queue);
    ProcessBuilder builder = new ProcessBuilder(PYTHON, "-u", SERVER.toString(), queue).redirectErrorStream(true);
    builder.environment().put("RPC_AMQP_URI", broker.uri());
    Process python = builder.start();
    StringBuilder output = new StringBuilder();
    CountDownLatch ready = new CountDownLatch(1);
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          synchronized (output) {
            output.append(line).append('\n');
          }
          if (line.contains("Awaiting RPC requests")) {
            ready.countDown();
          }
        }
      } catch (IOException ended) {
        // the process was killed
      }
    }, "python-output");
    reader.setDaemon(true);
    reader.start();
    try {
      assertTrue(ready.await(60, TimeUnit.SECONDS), () -> "the tutorial's server did not start: " + output);
      Cli.Result result = Cli.run(broker.uri(), "call", "--plain", queue, "fib", "30");
      assertEquals(0, result.status(), () -> result + "\npython: " + output);
      assertEquals("832040", result.out().strip());
      assertEquals("", result.err());
      synchronized (output) {
        assertTrue(output.toString().contains(" [.] fib(30)"), output::toString);
      }
    } finally {
      python.destroy();
      if (!python.waitFor(10, TimeUnit.SECONDS)) {
        python.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static void requirePika() throws Exception {
    String problem = null;
    if (!Files.isExecutable(Path.of(PYTHON))) {
      problem = PYTHON + " is missing";
    } else {
      Process check = new ProcessBuilder(PYTHON, "-c", "import pika").redirectErrorStream(true).start();
      if (!check.waitFor(30, TimeUnit.SECONDS)) {
        check.destroyForcibly();
        problem = PYTHON + " -c 'import pika' did not finish within 30 s";
      } else if (check.exitValue() != 0) {
        problem = PYTHON + " cannot import pika";
      }
    }
    if (problem != null) {
      String message = problem + "; install with: apt-get install -y python3-pika (.ci/install-python-pika.sh does)";
      if ("true".equals(System.getenv("CI"))) {
        fail(message);
      }
      Assumptions.abort(message);
    }
  }
}
