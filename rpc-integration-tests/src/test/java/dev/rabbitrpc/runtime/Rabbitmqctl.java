package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The RabbitMQ node's own control tool, for faults made for real and for what only the broker can tell. */
final class Rabbitmqctl {
  private Rabbitmqctl() {}

  /**
   * The control command of the node under test: {@code rpc.rabbitmqctl} (words split on spaces,
   * e.g. {@code .ci/rabbitmq-4.sh ctl} for the RabbitMQ 4.3 node), else plain {@code rabbitmqctl},
   * which acts on the machine's default node.
   */
  static List<String> command() {
    String configured = System.getProperty("rpc.rabbitmqctl", "").trim();
    return configured.isEmpty() ? List.of("rabbitmqctl") : List.of(configured.split("\\s+"));
  }

  /**
   * Runs {@code rabbitmqctl args…} on the RabbitMQ node under test ({@link #command()}) and returns
   * its output; fails the test if it fails or takes more than 120 s (stop_app, start_app).
   */
  static String run(String... args) throws Exception {
    List<String> command = new ArrayList<>(command());
    command.addAll(List.of(args));
    return exec(command, 120);
  }

  /**
   * Evaluates an Erlang expression on the node under test and returns what it printed, trimmed.
   *
   * @param expression ending with a full stop, e.g. {@code "application:get_env(rabbit, max_message_size)."}
   */
  static String eval(String expression) throws Exception {
    return run("eval", expression).trim();
  }

  /**
   * Runs a command and returns its output (stdout and stderr); fails the test if it fails or takes
   * more than {@code timeoutSeconds}.
   */
  static String exec(List<String> command, long timeoutSeconds) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    // Read while it runs, so that a full pipe never stalls it.
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    String what = String.join(" ", command);
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(what + " did not finish within " + timeoutSeconds + " s");
    }
    String printed = output.get(10, TimeUnit.SECONDS);
    assertEquals(0, process.exitValue(), what + ": " + printed);
    return printed;
  }

  /** A numeric column of {@code list_queues} (e.g. {@code messages_unacknowledged}) for one queue; -1 if not listed. */
  static long queueColumn(String queue, String column) throws Exception {
    for (String line : run("list_queues", "-q", "--no-table-headers", "name", column).split("\n")) {
      String[] fields = line.split("\t");
      if (fields.length == 2 && fields[0].equals(queue)) {
        return Long.parseLong(fields[1].trim());
      }
    }
    return -1;
  }

  /** The lines of {@code list_connections -s pid channels client_properties} of the connection named {@code name}. */
  static List<String[]> connectionsNamed(String name) throws Exception {
    List<String[]> found = new ArrayList<>();
    for (String line : run("list_connections", "-s", "pid", "channels", "client_properties").split("\n")) {
      if (line.contains("{\"connection_name\",\"" + name + "\"}")) {
        found.add(line.split("\t"));
      }
    }
    return found;
  }
}
