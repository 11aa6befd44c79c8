package dev.rabbitrpc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.rabbitrpc.examples.fibonacci.FibonacciService;
import dev.rabbitrpc.examples.fibonacci.FibonacciServiceImpl;
import dev.rabbitrpc.runtime.AsyncApi;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.ServiceContract;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code rabbit-rpc}'s commands end to end, in the test's JVM: the CLI -> the broker -> a server
 * of the example's {@link FibonacciService} or of {@link Shapes} -> the reply on stdout; and each
 * kind of bad input as one line on stderr with its own exit status. Run on RabbitMQ and on the
 * embedded broker (rpc-cli's pom).
 */
@RpcBrokerTest
class CliIT {
  private final RpcBroker broker;

  CliIT(RpcBroker broker) {
    this.broker = broker;
  }

  private String serveFibonacci() {
    String queue = broker.uniqueQueue("cli-fib");
    broker.deleteAfterTest(queue);
    broker.client().export(FibonacciService.class, new FibonacciServiceImpl(), queue);
    return queue;
  }

  private String serveShapes() {
    String queue = broker.uniqueQueue("cli-shapes");
    broker.deleteAfterTest(queue);
    broker.client().export(Shapes.class, new Shapes.Impl(), queue);
    return queue;
  }

  private Cli.Result cli(String... args) {
    return Cli.run(broker.uri(), args);
  }

  @Test
  void callPrintsTheExampleServersResult() {
    String queue = serveFibonacci();
    Cli.Result result = cli("call", queue, "fib", "30");
    assertEquals(0, result.status(), result::toString);
    assertEquals("832040", result.out().strip());
    assertEquals("", result.err());
  }

  @Test
  void callTakesRecordsListsAndEnumsAsJsonAndPrintsJson() {
    String queue = serveShapes();
    assertEquals("{\"x\":4,\"y\":2}", cli("call", queue, "move", "{\"x\":1,\"y\":2}", "3").out().strip());
    assertEquals("[{\"x\":0,\"y\":0},{\"x\":1,\"y\":1},{\"x\":2,\"y\":4}]", cli("call", queue, "points", "3").out().strip());
    assertEquals("{\"1,2\":{\"x\":1,\"y\":2}}", cli("call", queue, "index", "[{\"x\":1,\"y\":2}]").out().strip());
    assertEquals("\"box in GREEN\"", cli("call", queue, "paint", "{\"text\":\"box\"}", "\"GREEN\"").out().strip());
    Cli.Result reset = cli("call", queue, "reset");
    assertEquals(0, reset.status(), reset::toString);
    assertEquals("null", reset.out().strip());
  }

  @Test
  void describePrintsTheContractForPeopleAndAsJson() throws Exception {
    String queue = serveShapes();
    Cli.Result text = cli("describe", queue);
    assertEquals(0, text.status(), text::toString);
    assertTrue(text.out().startsWith(Shapes.class.getName() + " on queue " + queue + "\n"), text::toString);
    assertTrue(text.out().contains("\nmove(point: Point, dx: integer) -> Point\n"), text::toString);
    assertTrue(text.out().contains("\npaint(label: Label, color: \"RED\"|\"GREEN\") -> string\n"), text::toString);
    assertTrue(text.out().contains("\nreset() -> nothing\n"), text::toString);
    assertTrue(text.out().contains("\n    throws " + Shapes.NotFound.class.getName() + "\n"), text::toString);
    // The server's own view: its client's default timeout (the test broker's clients have 10 s).
    assertTrue(text.out().contains("\n    timeout " + broker.client().timeout().toMillis() + " ms\n"), text::toString);
    assertTrue(text.out().contains("\n  Point {x: integer, y: integer}\n"), text::toString);
    assertTrue(text.out().contains("\n  Label {text: string, color: \"RED\"|\"GREEN\" or null}\n"), text::toString);

    Cli.Result json = cli("describe", "--json", queue);
    assertEquals(0, json.status(), json::toString);
    ServiceContract printed = JsonMapper.builder().build().readValue(json.out(), ServiceContract.class);
    assertEquals(broker.client().describe(queue), printed);
  }

  @Test
  void describeAsyncApiPrintsTheContractAsAnAsyncApiDocumentWithTheBrokerAsItsServer() throws Exception {
    String queue = serveShapes();
    Cli.Result result = cli("describe", "--asyncapi", queue);
    assertEquals(0, result.status(), result::toString);
    JsonMapper mapper = JsonMapper.builder().build();
    JsonNode printed = mapper.readTree(result.out());
    URI uri = URI.create(broker.uri());
    // Compared as read back, where every number is the smallest node that holds it.
    assertTrue(mapper.readTree(mapper.writeValueAsString(AsyncApi.document(broker.client().describe(queue), uri))).equals(printed),
        "the document of the service's description");
    assertEquals("3.0.0", printed.get("asyncapi").asText());
    assertEquals(Shapes.class.getName(), printed.at("/info/title").asText());
    assertEquals(queue, printed.at("/channels/requests/address").asText());
    assertEquals("receive", printed.at("/operations/move/action").asText());
    assertEquals(uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()), printed.at("/servers/broker/host").asText());
    if (uri.getUserInfo() != null) {
      assertFalse(result.out().contains(uri.getUserInfo()), "no credentials in the document");
    }
  }

  @Test
  void pingCountsConsumersAndTimesTheRoundTrip() {
    String queue = serveFibonacci();
    Cli.Result result = cli("ping", queue, "--count", "4");
    assertEquals(0, result.status(), result::toString);
    String[] lines = result.out().split("\n");
    assertEquals("queue " + queue + ": 1 consumer, 0 messages ready", lines[0], result::toString);
    assertTrue(lines[1].startsWith("server: " + FibonacciService.class.getName() + ", rabbit-rpc-java "), result::toString);
    assertTrue(lines[1].endsWith(", protocol 1"), result::toString);
    assertTrue(lines[2].matches("round trip \\(4 describes\\): min [0-9.]+ ms, avg [0-9.]+ ms, max [0-9.]+ ms"), result::toString);
  }

  @Test
  void benchReportsCallsPercentilesAndErrors() {
    String queue = serveFibonacci();
    Cli.Result result = cli("bench", queue, "fib", "20", "--threads", "2", "--duration", "1s");
    assertEquals(0, result.status(), result::toString);
    Matcher calls = Pattern.compile("calls: (\\d+) \\((\\d+) ok, 0 failed\\), ([0-9.]+) calls/s").matcher(result.out());
    assertTrue(calls.find(), result::toString);
    assertTrue(Integer.parseInt(calls.group(2)) > 0, result::toString);
    assertEquals(calls.group(1), calls.group(2));
    assertTrue(result.out().contains("bench fib on " + queue + ": 2 threads, "), result::toString);
    assertTrue(result.out().matches("(?s).*latency: min [0-9.]+ ms, p50 [0-9.]+ ms, p90 [0-9.]+ ms, p99 [0-9.]+ ms, max [0-9.]+ ms\n.*"),
        result::toString);
    assertTrue(result.out().contains("errors: none"), result::toString);
  }

  @Test
  void benchCountsFailuresByCode() {
    String queue = serveFibonacci();
    Cli.Result result = cli("bench", queue, "fib", "-1", "--threads", "1", "--duration", "500ms");
    assertEquals(ExitCodes.of(dev.rabbitrpc.api.RpcException.Code.APPLICATION_ERROR), result.status(), result::toString);
    assertTrue(result.out().matches("(?s).*errors: APPLICATION_ERROR \\d+\n.*"), result::toString);
    assertTrue(result.out().contains("latency: no call succeeded"), result::toString);
  }

  @Test
  void anUnknownQueueIsUnavailable() {
    Cli.Result result = cli("call", broker.uniqueQueue("cli-nobody"), "fib", "30");
    assertEquals(11, result.status(), result::toString);
    assertTrue(result.errorLine().startsWith("error: UNAVAILABLE: "), result::toString);
    assertEquals("", result.out());
  }

  @Test
  void aMethodTheServiceDoesNotHaveIsUnknownMethodListingItsMethods() {
    String queue = serveFibonacci();
    Cli.Result result = cli("call", queue, "fibonacci", "30");
    assertEquals(14, result.status(), result::toString);
    assertEquals("error: UNKNOWN_METHOD: " + FibonacciService.class.getName() + " on " + queue
        + " has no method fibonacci; its methods: fib", result.errorLine());
  }

  @Test
  void argumentsThatDoNotFitTheSchemaAreRefusedBeforeSending() {
    String queue = serveShapes();
    assertEquals("error: INVALID_ARGUMENT: move takes 2 arguments (point: Point, dx: integer), not 1",
        cli("call", queue, "move", "{\"x\":1,\"y\":2}").errorLine());
    assertEquals("error: INVALID_ARGUMENT: move: argument #2 (dx) must be an integer, not the string \"3\"",
        cli("call", queue, "move", "{\"x\":1,\"y\":2}", "\"3\"").errorLine());
    assertEquals("error: INVALID_ARGUMENT: move: argument #1 (point) at y must be an integer, not the number 2.5",
        cli("call", queue, "move", "{\"x\":1,\"y\":2.5}", "3").errorLine());
    assertEquals("error: INVALID_ARGUMENT: paint: argument #2 (color) must be one of [\"RED\",\"GREEN\"], not the string \"BLUE\"",
        cli("call", queue, "paint", "{\"text\":\"a\"}", "\"BLUE\"").errorLine());
    assertEquals("error: INVALID_ARGUMENT: index: argument #1 (points) at [1].x must be an integer, not the string \"a\"",
        cli("call", queue, "index", "[{\"x\":1},{\"x\":\"a\"}]").errorLine());
    Cli.Result notJson = cli("call", queue, "points", "three");
    assertEquals(13, notJson.status(), notJson::toString);
    assertTrue(notJson.errorLine().startsWith("error: INVALID_ARGUMENT: argument #1 is not a JSON value: three"), notJson::toString);
  }

  @Test
  void theServersOwnRefusalsKeepTheirCodes() {
    String queue = serveShapes();
    Cli.Result declared = cli("call", queue, "find", "\"circle\"");
    assertEquals(15, declared.status(), declared::toString);
    assertEquals("error: APPLICATION_ERROR: find threw " + Shapes.NotFound.class.getName() + ": no shape named circle",
        declared.errorLine());
    // Unchecked, a wrong argument reaches the server, which refuses it.
    Cli.Result unchecked = cli("call", "--no-check", queue, "move", "1", "2");
    assertEquals(13, unchecked.status(), unchecked::toString);
    assertTrue(unchecked.errorLine().startsWith("error: INVALID_ARGUMENT: "), unchecked::toString);
  }

  @Test
  void aServerThatDoesNotDescribeItselfIsNamedAndNoCheckStillCallsIt() {
    String queue = broker.uniqueQueue("cli-silent");
    broker.deleteAfterTest(queue);
    broker.client().server(FibonacciService.class, new FibonacciServiceImpl()).queue(queue).describable(false).export();
    Cli.Result checked = cli("call", queue, "fib", "10");
    assertEquals(14, checked.status(), checked::toString);
    assertTrue(checked.errorLine().contains("does not describe itself"), checked::toString);
    Cli.Result unchecked = cli("call", "--no-check", queue, "fib", "10");
    assertEquals(0, unchecked.status(), unchecked::toString);
    assertEquals("55", unchecked.out().strip());
  }

  @Test
  void aBrokerThatIsDownIsItsOwnStatus() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    for (String command : new String[] {"call", "describe", "ping", "bench"}) {
      String[] args = command.equals("call") || command.equals("bench")
          ? new String[] {command, "--uri", "amqp://guest:guest@127.0.0.1:" + closedPort, "q", "fib", "1"}
          : new String[] {command, "--uri", "amqp://guest:guest@127.0.0.1:" + closedPort, "q"};
      Cli.Result result = Cli.run(null, args);
      assertEquals(ExitCodes.BROKER_UNREACHABLE, result.status(), result::toString);
      assertTrue(result.errorLine().startsWith("error: UNAVAILABLE: the broker cannot be reached: "), result::toString);
      assertTrue(result.errorLine().contains("Connection refused"), result::toString);
    }
  }

  @Test
  void aTimeoutEndsTheCallWithDeadlineExceeded() {
    String queue = broker.uniqueQueue("cli-slow");
    broker.deleteAfterTest(queue);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    RpcClient client = broker.client();
    client.export(FibonacciService.class, n -> {
      try {
        release.await(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 0;
    }, queue);
    try {
      Cli.Result result = cli("call", "--timeout", "300ms", queue, "fib", "1");
      assertEquals(10, result.status(), result::toString);
      assertTrue(result.errorLine().startsWith("error: DEADLINE_EXCEEDED: fib: "), result::toString);
    } finally {
      release.countDown();
    }
  }
}
