package dev.rabbitrpc.examples.fibonacci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.examples.fibonacci.Processes.Result;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The tutorial's programs as a user runs them: separate JVMs, real broker, exit codes. */
class ExamplesIT {
  private static final String URI = uri();

  private static String uri() {
    String uri = System.getenv("RPC_AMQP_URI");
    return uri == null || uri.isBlank() ? "amqp://guest:guest@localhost:5672" : uri;
  }

  /** A child JVM running Main with the test's class path, on the test broker unless {@code env} says otherwise. */
  private static ProcessBuilder main(Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>(List.of(Processes.java(), "-cp", System.getProperty("java.class.path"),
        Main.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("RPC_AMQP_URI", URI);
    builder.environment().putAll(env);
    return builder;
  }

  private static Result run(Map<String, String> env, String... args) throws Exception {
    return Processes.run(main(env, args), 60);
  }

  @Test
  void demoPrintsTheTutorialsLinesAndExitsZero() throws Exception {
    Result result = run(Map.of(), "demo", "30");
    assertEquals(0, result.exitCode(), result.err());
    assertEquals(String.join("\n",
        " [x] Awaiting RPC requests",
        " [x] Requesting fib(30)",
        " [.] fib(30)",
        " [.] Got 832040", ""), result.out());
    assertEquals("", result.err());
  }

  @Test
  void streamPrintsEachOrderAsItArrivesThenTheTotal() throws Exception {
    Result result = run(Map.of(), "stream", "3");
    assertEquals(0, result.exitCode(), result.err());
    assertEquals(String.join("\n",
        " [.] order 1 for customer-1",
        " [.] order 2 for customer-2",
        " [.] order 3 for customer-3",
        " [x] 3 orders, 8.97 in all", ""), result.out());
  }

  @Test
  void payChargesOnceThoughCalledTwiceWithOneKey() throws Exception {
    Result result = run(Map.of(), "pay");
    assertEquals(0, result.exitCode(), result.err());
    assertEquals(String.join("\n",
        " [.] receipt 1: 12.50 charged to acme",
        " [.] receipt 1: 12.50 charged to acme (again: the kept reply)",
        " [x] 1 charge ran, 1 reply replayed", ""), result.out());
  }

  @Test
  void serverInOneProcessAnswersClientInAnother() throws Exception {
    Process server = main(Map.of(), "server").start();
    try {
      BlockingQueue<String> serverLines = Processes.lines(server);
      assertEquals(" [x] Awaiting RPC requests", serverLines.poll(30, TimeUnit.SECONDS));

      Result client = run(Map.of(), "client", "30", "10");
      assertEquals(0, client.exitCode(), client.err());
      assertEquals(String.join("\n",
          " [x] Requesting fib(30)", " [.] Got 832040",
          " [x] Requesting fib(10)", " [.] Got 55", ""), client.out());
      assertEquals(" [.] fib(30)", serverLines.poll(10, TimeUnit.SECONDS));
      assertEquals(" [.] fib(10)", serverLines.poll(10, TimeUnit.SECONDS));
    } finally {
      Processes.stop(server); // the shutdown hook closes the server
    }
  }

  @Test
  void rejectsANegativeNumberWithAOneLineErrorAndNonZeroExit() throws Exception {
    Result result = run(Map.of(), "client", "-5");
    assertEquals(2, result.exitCode());
    assertEquals("error: n must be between 0 and 46, got -5\n", result.err());
  }

  @Test
  void explainsAnUnreachableBrokerInOneLineAndExitsNonZero() throws Exception {
    Result result = run(Map.of("RPC_AMQP_URI", "amqp://guest:guest@127.0.0.1:1"), "client", "30");
    assertEquals(1, result.exitCode());
    String[] lines = result.err().split("\n");
    assertEquals(1, lines.length, result.err());
    // the call's method, then why: every failure of a call names its method first
    assertTrue(lines[0].startsWith("error: FibonacciService.fib: cannot connect to amqp://127.0.0.1:1/"), lines[0]);
    assertTrue(lines[0].contains("RPC_AMQP_URI"), lines[0]);
  }

  @Test
  void printsUsageForAnUnknownCommand() throws Exception {
    Result result = run(Map.of(), "dance");
    assertEquals(2, result.exitCode());
    assertTrue(result.err().startsWith("usage:"), result.err());
  }
}
