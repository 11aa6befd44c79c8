package dev.rabbitrpc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rabbitrpc.examples.fibonacci.FibonacciService;
import dev.rabbitrpc.examples.fibonacci.FibonacciServiceImpl;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The built jar, {@code target/rabbit-rpc-cli.jar}, as a user runs it: {@code java -jar} in a
 * process of its own, the broker in {@code RPC_AMQP_URI}. What only a real process shows: the
 * manifest's main class, the shaded dependencies, the exit status, and that the library's logging
 * stays off stderr (a failure is one line).
 */
@RpcBrokerTest
class JarIT {
  private static final Path JAR = Path.of(System.getProperty("rpc.cli.jar", "target/rabbit-rpc-cli.jar"));

  private final RpcBroker broker;

  JarIT(RpcBroker broker) {
    this.broker = broker;
  }

  private record Run(int status, String out, String err) {}

  private Run java(String uri, String... args) throws Exception {
    assertTrue(Files.isRegularFile(JAR), JAR + " is built by mvn package");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", JAR.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().remove("RPC_AMQP_URI");
    if (uri != null) {
      builder.environment().put("RPC_AMQP_URI", uri);
    }
    Process process = builder.start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail("rabbit-rpc " + String.join(" ", args) + " did not end within 60 s");
    }
    return new Run(process.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
  }

  private static String read(java.io.InputStream stream) {
    try (stream) {
      return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  @Test
  void theJarCallsTheExampleServer() throws Exception {
    String queue = broker.uniqueQueue("cli-jar");
    broker.deleteAfterTest(queue);
    broker.client().export(FibonacciService.class, new FibonacciServiceImpl(), queue);
    Run run = java(broker.uri(), "call", queue, "fib", "30");
    assertEquals(0, run.status(), run::toString);
    assertEquals("832040\n", run.out().replace("\r\n", "\n"));
    assertEquals("", run.err());
  }

  @Test
  void theJarFailsWithOneLineAndItsStatus() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Run down = java("amqp://guest:guest@127.0.0.1:" + closedPort, "describe", "q");
    assertEquals(ExitCodes.BROKER_UNREACHABLE, down.status(), down::toString);
    assertEquals(1, down.err().lines().count(), down::toString);
    assertTrue(down.err().startsWith("error: UNAVAILABLE: the broker cannot be reached: "), down::toString);
    assertEquals("", down.out());

    Run usage = java(null, "call");
    assertEquals(ExitCodes.USAGE, usage.status(), usage::toString);
    assertEquals(1, usage.err().lines().count(), usage::toString);
  }
}
