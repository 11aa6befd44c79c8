package dev.rabbitrpc.examples.fibonacci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rabbitrpc.examples.fibonacci.Processes.Result;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The runnable jar on a machine with no broker: {@code demo} falls back to the embedded broker,
 * {@code server --embedded} serves clients of other processes.
 *
 * <p>"No broker" is made two ways. A fresh network namespace (Linux, root: {@code unshare -n})
 * has a loopback with nothing listening, which leaves the shared RabbitMQ alone; those tests are
 * skipped where namespaces cannot be made. And for real: {@code rabbitmqctl stop_app}, restored in
 * a {@code finally}. Stopping the broker disturbs whoever else uses it, so that test runs only in
 * CI ({@code CI=true}) or when asked ({@code -Drpc.it.stopRabbitMq=true}).
 */
class NoBrokerIT {
  private static final Path JAR = Path.of("target", "rabbit-rpc-examples.jar");
  private static final String EMBEDDED_LINE =
      " \\[\\*] No broker on localhost:5672 and no RPC_AMQP_URI: using an embedded broker on 127\\.0\\.0\\.1:\\d+ \\(started in \\d+ ms\\)";
  private static final String TUTORIAL_LINES = String.join("\n",
      " [x] Awaiting RPC requests",
      " [x] Requesting fib(30)",
      " [.] fib(30)",
      " [.] Got 832040", "");


  private static List<String> jar(String... args) {
    assertTrue(Files.exists(JAR), JAR + " is built in the package phase");
    List<String> command = new ArrayList<>(List.of(Processes.java(), "-jar", JAR.toString()));
    command.addAll(List.of(args));
    return command;
  }

  /** {@code command} inside a new network namespace whose loopback is up and empty. */
  private static List<String> inEmptyNetwork(List<String> command) {
    List<String> wrapped = new ArrayList<>(List.of("unshare", "-n", "sh", "-c", "ip link set lo up && exec \"$@\"", "sh"));
    wrapped.addAll(command);
    return wrapped;
  }

  /** The command, without RPC_AMQP_URI: the demo must find (or not find) a broker on its own. */
  private static ProcessBuilder builder(List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().remove("RPC_AMQP_URI");
    return builder;
  }

  private static Process start(List<String> command) throws IOException {
    return builder(command).start();
  }

  private static Result run(List<String> command) throws Exception {
    return Processes.run(builder(command), 90);
  }

  private static boolean canMakeNetworkNamespaces() {
    try {
      Process probe = new ProcessBuilder("unshare", "-n", "sh", "-c", "ip link set lo up").redirectErrorStream(true).start();
      return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void assertDemoUsedTheEmbeddedBroker(Result result) {
    assertEquals(0, result.exitCode(), result.err());
    String[] lines = result.out().split("\n", 2);
    assertTrue(lines[0].matches(EMBEDDED_LINE), lines[0]);
    assertEquals(TUTORIAL_LINES, lines[1]);
    assertEquals("", result.err());
  }

  @Test
  void demoStartsTheEmbeddedBrokerWhenNoBrokerAnswers() throws Exception {
    assumeTrue(canMakeNetworkNamespaces(), "cannot make a network namespace here (unshare -n needs Linux and root)");
    assertDemoUsedTheEmbeddedBroker(run(inEmptyNetwork(jar("demo", "30"))));
  }

  @Test
  void serverEmbeddedServesAClientOfAnotherProcessWithNoSettings() throws Exception {
    assumeTrue(canMakeNetworkNamespaces(), "cannot make a network namespace here (unshare -n needs Linux and root)");
    // `exec` makes the server JVM the namespace's first process; the client joins it by pid.
    Process server = start(inEmptyNetwork(jar("server", "--embedded")));
    try {
      assertServerAnswersClient(server, List.of("nsenter", "-t", Long.toString(server.pid()), "-n"));
    } finally {
      Processes.stop(server);
    }
  }

  /** Waits for the server's banner, runs {@code client 30 10} (prefixed by {@code clientPrefix}) and checks both sides. */
  private static void assertServerAnswersClient(Process server, List<String> clientPrefix) throws Exception {
    BlockingQueue<String> serverLines = Processes.lines(server);
    assertEquals(" [*] Embedded broker on localhost:5672 (guest/guest): run 'client' in another terminal",
        serverLines.poll(60, TimeUnit.SECONDS));
    assertEquals(" [x] Awaiting RPC requests", serverLines.poll(10, TimeUnit.SECONDS));
    List<String> client = new ArrayList<>(clientPrefix);
    client.addAll(jar("client", "30", "10"));
    Result result = run(client);
    assertEquals(0, result.exitCode(), result.err());
    assertEquals(String.join("\n", " [x] Requesting fib(30)", " [.] Got 832040", " [x] Requesting fib(10)", " [.] Got 55", ""),
        result.out());
    assertEquals(" [.] fib(30)", serverLines.poll(10, TimeUnit.SECONDS));
    assertEquals(" [.] fib(10)", serverLines.poll(10, TimeUnit.SECONDS));
  }

  @Test
  void demoAndServerEmbeddedWorkWithRabbitMqStopped() throws Exception {
    assumeTrue("true".equals(System.getenv("CI")) || Boolean.getBoolean("rpc.it.stopRabbitMq"),
        "stops the shared RabbitMQ: runs in CI (CI=true) or with -Drpc.it.stopRabbitMq=true");
    String uri = System.getenv("RPC_AMQP_URI");
    assumeTrue(uri == null || uri.isBlank(), "RPC_AMQP_URI names a broker this test cannot stop");
    assumeTrue(rabbitmqctl("status").exitCode() == 0, "no local RabbitMQ to stop (rabbitmqctl status failed)");
    try {
      assertEquals(0, rabbitmqctl("stop_app").exitCode(), "rabbitmqctl stop_app");
      awaitClosed("localhost", 5672);

      assertDemoUsedTheEmbeddedBroker(run(jar("demo", "30")));

      Process server = start(jar("server", "--embedded"));
      try {
        assertServerAnswersClient(server, List.of());
      } finally {
        Processes.stop(server);
      }
    } finally {
      Result started = rabbitmqctl("start_app");
      Result ready = rabbitmqctl("await_startup");
      assertEquals(0, started.exitCode(), "rabbitmqctl start_app: " + started.err());
      assertEquals(0, ready.exitCode(), "rabbitmqctl await_startup: " + ready.err());
    }
  }

  private static Result rabbitmqctl(String command) throws Exception {
    try {
      return run(List.of("rabbitmqctl", "--timeout", "60", command));
    } catch (IOException noRabbitmqctl) {
      return new Result(127, "", noRabbitmqctl.getMessage());
    }
  }

  /** Waits (at most 30 s) until nothing accepts connections on host:port. */
  private static void awaitClosed(String host, int port) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), 1_000);
      } catch (IOException refused) {
        return;
      }
      assertTrue(System.nanoTime() < end, host + ":" + port + " still accepts connections after 30 s");
      Thread.sleep(100); // polling interval of a bounded wait
    }
  }

}
