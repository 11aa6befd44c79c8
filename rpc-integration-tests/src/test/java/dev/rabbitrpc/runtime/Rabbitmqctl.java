package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The RabbitMQ node's own control tool, for faults made for real and for what only the broker can tell. */
final class Rabbitmqctl {
  private Rabbitmqctl() {}

  /** Runs {@code rabbitmqctl args…}, fails the test unless it exits 0 within 120 s; returns its output. */
  static String run(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add("rabbitmqctl");
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "rabbitmqctl " + args[0] + " finished");
    assertEquals(0, process.exitValue(), "rabbitmqctl " + String.join(" ", args) + ": " + output);
    return output;
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
