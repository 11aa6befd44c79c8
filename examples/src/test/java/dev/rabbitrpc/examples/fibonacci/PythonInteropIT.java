package dev.rabbitrpc.examples.fibonacci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.runtime.InMemoryReplyStore;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import dev.rabbitrpc.runtime.ServiceContract;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Java and Python peers on the real broker, both ways, in the tutorial's plain text and in the
 * JSON and CBOR protocol, and a Java CBOR client falling back to JSON for a JSON-only Python server;
 * streaming replies both ways (order, the end's count, a typed error after the items, cancel);
 * the Python client's call key and a Java server's replayed reply, a Python server that keeps no
 * replies. The Python programs (interop/python) are written from the tutorial's description and
 * from docs/PROTOCOL.md alone.
 */
class PythonInteropIT {
  private static final long WAIT_SECONDS = 60;

  private static RpcClient client;

  @BeforeAll
  static void setUp() throws Exception {
    PythonPeer.requirePikaAndCbor2();
    String uri = System.getenv("RPC_AMQP_URI");
    client = RpcClient.builder()
        .uri(uri == null || uri.isBlank() ? "amqp://guest:guest@localhost:5672" : uri)
        .timeout(Duration.ofSeconds(20))
        .build();
  }

  @AfterAll
  static void tearDown() {
    if (client != null) {
      client.close();
    }
  }

  private static String uniqueQueue(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void tutorialPythonClientGetsPlainTextAnswersFromTheJavaServer() throws Exception {
    String queue = uniqueQueue("interop-tutorial-client");
    try (RpcServer server = client.export(FibonacciService.class, new FibonacciServiceImpl(), queue);
        PythonPeer python = PythonPeer.start("rpc_client.py", "30", server.queue(), "30")) {
      assertEquals(0, python.awaitExit(WAIT_SECONDS), python::output);
      assertTrue(python.output().contains(" [.] Got 832040"), python::output);
    } finally {
      deleteQueue(queue);
    }
  }

  @Test
  void javaClientInPlainModeCallsTheTutorialPythonServer() throws Exception {
    // Main's --plain client calls the tutorial's queue, rpc_queue, as the tutorial's client does.
    try (PythonPeer python = PythonPeer.start("rpc_server.py", "rpc_queue").awaitReady(WAIT_SECONDS)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int exit = Main.run(new String[] {"client", "--plain", "30"}, print(out), print(err));
      assertEquals(0, exit, () -> err.toString(StandardCharsets.UTF_8) + "\npython: " + python.output());
      assertTrue(out.toString(StandardCharsets.UTF_8).contains(" [.] Got 832040"), out::toString);
      assertTrue(python.output().contains(" [.] fib(30)"), python::output);
    }
  }

  @Test
  void jsonPythonClientCallsTheJavaServerAndSeesItsApplicationError() throws Exception {
    String queue = uniqueQueue("interop-json-client");
    try (RpcServer server = client.export(FibonacciService.class, new FibonacciServiceImpl(), queue)) {
      try (PythonPeer python = PythonPeer.start("rpc_json.py", "call", server.queue(), "fib", "30")) {
        assertEquals(0, python.awaitExit(WAIT_SECONDS), python::output);
        assertEquals("832040", python.output().strip());
      }
      try (PythonPeer python = PythonPeer.start("rpc_json.py", "call", server.queue(), "fib", "-1")) {
        assertEquals(1, python.awaitExit(WAIT_SECONDS), python::output);
        assertEquals("error: APPLICATION_ERROR: java.lang.IllegalArgumentException: n must be between 0 and 46, got -1",
            python.output().strip());
      }
    } finally {
      deleteQueue(queue);
    }
  }

  @Test
  void pythonClientAsksTheJavaServerForItsContract() throws Exception {
    String queue = uniqueQueue("interop-describe");
    try (RpcServer server = client.export(FibonacciService.class, new FibonacciServiceImpl(), queue)) {
      try (PythonPeer python = PythonPeer.start("rpc_json.py", "describe", server.queue())) {
        assertEquals(0, python.awaitExit(WAIT_SECONDS), python::output);
        com.fasterxml.jackson.databind.JsonNode contract =
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(python.output());
        assertEquals(FibonacciService.class.getName(), contract.get("service").asText());
        assertEquals(queue, contract.get("queue").asText());
        assertEquals("fib", contract.get("methods").get(0).get("wireName").asText());
        assertEquals("integer", contract.get("methods").get(0).get("result").get("type").asText());
        assertEquals(client.describe(queue).methods().get(0).parameters().get(0).name(),
            contract.get("methods").get(0).get("parameters").get(0).get("name").asText());
      }
    }
    String off = uniqueQueue("interop-describe-off");
    try (RpcServer server = client.server(FibonacciService.class, new FibonacciServiceImpl()).queue(off)
        .describable(false).export()) {
      try (PythonPeer python = PythonPeer.start("rpc_json.py", "describe", server.queue())) {
        assertEquals(1, python.awaitExit(WAIT_SECONDS), python::output);
        assertTrue(python.output().strip().startsWith("error: UNKNOWN_METHOD"), python::output);
      }
    } finally {
      deleteQueue(queue);
      deleteQueue(off);
    }
  }

  @Test
  void thePythonServerDescribesItselfAndTheJavaInterfaceVerifiesAgainstIt() throws Exception {
    String queue = uniqueQueue("interop-python-describe");
    try (PythonPeer python = PythonPeer.start("rpc_json.py", "serve", queue).awaitReady(WAIT_SECONDS)) {
      ServiceContract contract = client.describe(queue);
      assertEquals(1, contract.protocol(), python::output);
      assertTrue(contract.library().startsWith("rabbit-rpc-python-peer"), contract.library());
      assertEquals(queue, contract.queue());
      assertEquals(List.of("fib", "fibs"), contract.methods().stream().map(m -> m.wireName()).toList());
      ServiceContract.Method fib = contract.methods().get(0);
      assertEquals("n", fib.parameters().get(0).name());
      assertEquals("integer", fib.parameters().get(0).schema().get("type").asText());
      assertEquals("integer", fib.result().get("type").asText());
      assertTrue(contract.methods().get(1).streaming(), "fibs is a generator: it streams");
      // The Java interface (int fib(int n)) and the Python service can talk: verify finds nothing breaking.
      client.verify(FibonacciService.class, queue);
    } finally {
      deleteQueue(queue);
    }
  }

  @Test
  void javaProxyCallsTheJsonPythonServerAndGetsItsErrorAsAnRpcException() throws Exception {
    String queue = uniqueQueue("interop-json-server");
    try (PythonPeer python = PythonPeer.start("rpc_json.py", "serve", queue).awaitReady(WAIT_SECONDS)) {
      FibonacciService fibonacci = client.proxy(FibonacciService.class, queue);
      assertEquals(832040, fibonacci.fib(30), python::output);
      RpcException e = assertThrows(RpcException.class, () -> fibonacci.fib(-1));
      assertEquals(RpcException.Code.APPLICATION_ERROR, e.code());
      assertEquals("ValueError", e.remoteType());
      assertTrue(e.getMessage().contains("n must not be negative, got -1"), e.getMessage());
    } finally {
      deleteQueue(queue);
    }
  }

  @Test
  void javaCborClientCallsThePythonServerInCborAndGetsItsErrorInCbor() throws Exception {
    String queue = uniqueQueue("interop-cbor-server");
    try (RpcClient cbor = cborClient();
        PythonPeer python = PythonPeer.start("rpc_json.py", "serve", queue).awaitReady(WAIT_SECONDS)) {
      FibonacciService fibonacci = cbor.proxy(FibonacciService.class, queue);
      assertEquals(832040, fibonacci.fib(30), python::output);
      RpcException e = assertThrows(RpcException.class, () -> fibonacci.fib(-1));
      assertEquals(RpcException.Code.APPLICATION_ERROR, e.code());
      assertEquals("ValueError", e.remoteType());
    } finally {
      deleteQueue(queue);
    }
  }

  @Test
  void pythonCborClientCallsTheJavaServer() throws Exception {
    String queue = uniqueQueue("interop-cbor-client");
    try (RpcServer server = client.export(FibonacciService.class, new FibonacciServiceImpl(), queue)) {
      try (PythonPeer python = PythonPeer.start("rpc_json.py", "call", "--cbor", server.queue(), "fib", "30")) {
        assertEquals(0, python.awaitExit(WAIT_SECONDS), python::output);
        assertEquals("832040", python.output().strip());
      }
      try (PythonPeer python = PythonPeer.start("rpc_json.py", "call", "--cbor", server.queue(), "fib", "-1")) {
        assertEquals(1, python.awaitExit(WAIT_SECONDS), python::output);
        assertEquals("error: APPLICATION_ERROR: java.lang.IllegalArgumentException: n must be between 0 and 46, got -1",
            python.output().strip());
      }
    } finally {
      deleteQueue(queue);
    }
  }

  /** A peer that predates CBOR answers a CBOR request PROTOCOL in JSON: the client sends it again in JSON. */
  @Test
  void javaCborClientFallsBackToJsonForAJsonOnlyPythonServer() throws Exception {
    String queue = uniqueQueue("interop-json-only-server");
    try (RpcClient cbor = cborClient();
        PythonPeer python = PythonPeer.start("rpc_json.py", "serve", "--json-only", queue).awaitReady(WAIT_SECONDS)) {
      FibonacciService fibonacci = cbor.proxy(FibonacciService.class, queue);
      assertEquals(832040, fibonacci.fib(30), python::output);
      assertEquals(55, fibonacci.fib(10), python::output);
    } finally {
      deleteQueue(queue);
    }
  }

  private static RpcClient cborClient() {
    String uri = System.getenv("RPC_AMQP_URI");
    return RpcClient.builder()
        .uri(uri == null || uri.isBlank() ? "amqp://guest:guest@localhost:5672" : uri)
        .timeout(Duration.ofSeconds(20))
        .encoding(dev.rabbitrpc.api.Encoding.CBOR)
        .build();
  }

  /**
   * The tutorial's Python server declared the queue (non-durable, as pika's queue_declare does) and
   * is gone: the Java server serves that queue as it is, and leaves it to its owner on exit.
   */
  @Test
  void javaServerServesTheQueueTheTutorialPythonServerDeclaredFirst() throws Exception {
    String queue = uniqueQueue("interop-python-first");
    try {
      try (PythonPeer python = PythonPeer.start("rpc_server.py", queue).awaitReady(WAIT_SECONDS)) {
        assertTrue(python.output().contains(" [x] Awaiting RPC requests"), python::output);
      }
      RpcServer server = client.export(FibonacciService.class, new FibonacciServiceImpl(), queue);
      try (PythonPeer python = PythonPeer.start("rpc_client.py", "30", queue, "30")) {
        assertEquals(0, python.awaitExit(WAIT_SECONDS), python::output);
        assertTrue(python.output().contains(" [.] Got 832040"), python::output);
      }
      assertFalse(server.closeAndDeleteCreatedQueue(), "the queue is the Python server's, not the Java server's");
    } finally {
      deleteQueue(queue);
    }
  }

  /**
   * The Java server created the queue (durable): while it serves, the tutorial's Python server,
   * which declares it non-durable, is refused (406) and exits; once the Java server has closed and
   * deleted the queue it created, the Python server starts and answers.
   */
  @Test
  void tutorialPythonServerStartsOnceTheJavaServerThatCreatedTheQueueHasGone() throws Exception {
    String queue = uniqueQueue("interop-java-first");
    try {
      RpcServer server = client.export(FibonacciService.class, new FibonacciServiceImpl(), queue);
      try (PythonPeer refused = PythonPeer.start("rpc_server.py", queue)) {
        assertEquals(1, refused.awaitExit(WAIT_SECONDS), refused::output);
        assertTrue(refused.output().contains("PRECONDITION_FAILED"), refused::output);
      }
      assertTrue(server.closeAndDeleteCreatedQueue(), "nothing else used the queue the Java server created");
      try (PythonPeer python = PythonPeer.start("rpc_server.py", queue).awaitReady(WAIT_SECONDS)) {
        int answer = client.proxy(PlainFibonacciService.class, queue).fib(30);
        assertEquals(832040, answer, python::output);
      }
    } finally {
      deleteQueue(queue);
    }
  }

  /**
   * The Python client calls a Java server that keeps replies twice with the same call key (a retry, or
   * a restarted caller): the second answer is the first's, replayed, and the method ran once; another
   * key runs it again.
   */
  @Test
  void pythonClientCallingTwiceWithOneCallKeyGetsTheJavaServersReplayedReply() throws Exception {
    String queue = uniqueQueue("interop-replay");
    FibonacciLedger.Impl ledger = new FibonacciLedger.Impl();
    try (RpcServer server = client.server(FibonacciLedger.class, ledger).queue(queue)
        .replyStore(new InMemoryReplyStore()).export()) {
      try (PythonPeer python = PythonPeer.start("rpc_json.py", "call", "--call-key", "entry-7", server.queue(), "record",
          "\"entry-7\"", "30")) {
        assertEquals(0, python.awaitExit(WAIT_SECONDS), python::output);
        assertEquals(List.of("\"entry-7: fib(30) = 832040 (run 1)\""), python.output().lines().toList());
      }
      try (PythonPeer python = PythonPeer.start("rpc_json.py", "call", "--call-key", "entry-7", server.queue(), "record",
          "\"entry-7\"", "30")) {
        assertEquals(0, python.awaitExit(WAIT_SECONDS), python::output);
        assertEquals(List.of("\"entry-7: fib(30) = 832040 (run 1)\"", "replayed"), python.output().lines().toList());
      }
      assertEquals(1, ledger.runs.get(), "runs of record for one call key");
      try (PythonPeer python = PythonPeer.start("rpc_json.py", "call", "--call-key", "entry-8", server.queue(), "record",
          "\"entry-8\"", "10")) {
        assertEquals(0, python.awaitExit(WAIT_SECONDS), python::output);
        assertEquals(List.of("\"entry-8: fib(10) = 55 (run 2)\""), python.output().lines().toList());
      }
      assertEquals(2, ledger.runs.get(), "runs of record for two call keys");
    } finally {
      deleteQueue(queue);
    }
  }

  /** {@link FibonacciService} as a deduplicated client sees it: each call carries a fresh rpc-call-key. */
  @dev.rabbitrpc.api.RpcService(queue = "fibonacci")
  interface DeduplicatedFibonacci {
    @dev.rabbitrpc.api.Deduplicated
    int fib(int n);
  }

  /**
   * The Python server keeps no replies, which the protocol allows: it runs a Java client's
   * deduplicated calls as any other, their rpc-call-key read for its form and otherwise ignored.
   */
  @Test
  void javaClientsDeduplicatedCallsRunOnThePythonServerThatKeepsNoReplies() throws Exception {
    String queue = uniqueQueue("interop-replay-server");
    try (PythonPeer python = PythonPeer.start("rpc_json.py", "serve", queue).awaitReady(WAIT_SECONDS)) {
      DeduplicatedFibonacci fibonacci = client.proxy(DeduplicatedFibonacci.class, queue);
      assertEquals(832040, fibonacci.fib(30), python::output);
      assertEquals(55, fibonacci.fib(10), python::output);
    } finally {
      deleteQueue(queue);
    }
  }

  @Test
  void pythonPeerPassesTheProtocolVectors() throws Exception {
    try (PythonPeer python = PythonPeer.start("check_vectors.py")) {
      assertEquals(0, python.awaitExit(WAIT_SECONDS), python::output);
      assertTrue(python.output().contains(" 0 failed"), python::output);
    }
  }

  /** fib(0) … fib(count − 1) as the Python server sends them. */
  private static List<Long> fibs(int count) {
    List<Long> fibs = new ArrayList<>();
    long previous = 0;
    long current = 1;
    for (int i = 0; i < count; i++) {
      fibs.add(previous);
      long next = previous + current;
      previous = current;
      current = next;
    }
    return fibs;
  }

  /** The Python client reads a Java stream in order to its end, granting credit (window 4) as it goes. */
  @Test
  void pythonClientReadsAStreamFromTheJavaServer() throws Exception {
    String queue = uniqueQueue("interop-stream-client");
    try (RpcServer server = client.export(FibonacciStreams.class, new FibonacciStreams.Impl(), queue)) {
      try (PythonPeer python = PythonPeer.start("rpc_json.py", "stream", "--window", "4", server.queue(), "fibs", "90")) {
        assertEquals(0, python.awaitExit(WAIT_SECONDS), python::output);
        List<String> expected = new ArrayList<>(fibs(90).stream().map(String::valueOf).toList());
        expected.add("end 90");
        assertEquals(expected, python.output().lines().toList());
      }
      try (PythonPeer python = PythonPeer.start("rpc_json.py", "stream", "--window", "4", server.queue(), "failsAfter", "6")) {
        assertEquals(1, python.awaitExit(WAIT_SECONDS), python::output);
        assertEquals(List.of("0", "1", "2", "3", "4", "5",
            "error: APPLICATION_ERROR: java.lang.IllegalStateException: failed after 6 items"), python.output().lines().toList());
      }
    } finally {
      deleteQueue(queue);
    }
  }

  /** Closing the Python client's generator sends rpc-stream-cancel: the Java producer stops within the window. */
  @Test
  void pythonClientGivingUpAStreamStopsTheJavaProducer() throws Exception {
    String queue = uniqueQueue("interop-stream-cancel");
    FibonacciStreams.Impl implementation = new FibonacciStreams.Impl();
    try (RpcServer server = client.export(FibonacciStreams.class, implementation, queue)) {
      try (PythonPeer python = PythonPeer.start("rpc_json.py", "stream", "--window", "8", "--take", "5", server.queue(),
          "endless")) {
        assertEquals(0, python.awaitExit(WAIT_SECONDS), python::output);
        assertEquals(List.of("0", "1", "2", "3", "4", "cancelled after 5"), python.output().lines().toList());
      }
      assertTrue(implementation.closed.await(10, TimeUnit.SECONDS), "the cancel closed the Java server's stream");
      // produced ≤ taken + the window + the one item held while waiting for credit
      assertTrue(implementation.produced.get() <= 5 + 8 + 1, "produced " + implementation.produced.get());
      try (Stream<Long> again = client.proxy(FibonacciStreams.class, queue).fibs(3)) {
        assertEquals(List.of(0L, 1L, 1L), again.toList(), "the server's worker is free again");
      }
    } finally {
      deleteQueue(queue);
    }
  }

  /** A Java client (window 4, so credit goes back many times) reads the Python server's stream, then its typed error. */
  @Test
  void javaClientReadsAStreamFromThePythonServerAndItsErrorAfterTheItems() throws Exception {
    String queue = uniqueQueue("interop-stream-server");
    try (RpcClient small = windowClient(4);
        PythonPeer python = PythonPeer.start("rpc_json.py", "serve", queue).awaitReady(WAIT_SECONDS)) {
      FibonacciStreams streams = small.proxy(FibonacciStreams.class, queue);
      try (Stream<Long> items = streams.fibs(50)) {
        assertEquals(fibs(50), items.toList(), python::output);
      }
      List<Long> seen = new ArrayList<>();
      RpcException e = assertThrows(RpcException.class, () -> {
        try (Stream<Long> items = streams.fibs(100)) {
          items.forEach(seen::add);
        }
      });
      assertEquals(RpcException.Code.APPLICATION_ERROR, e.code(), e::getMessage);
      assertEquals("ValueError", e.remoteType());
      assertTrue(e.getMessage().contains("fib(93) does not fit"), e.getMessage());
      assertEquals(fibs(93), seen, "the items before the error, all of them");
    } finally {
      deleteQueue(queue);
    }
  }

  /** A Java client closing the stream cancels it: the single-threaded Python server is free at once, not after its idle timeout. */
  @Test
  void javaClientClosingAPythonStreamFreesThePythonServer() throws Exception {
    String queue = uniqueQueue("interop-stream-server-cancel");
    try (RpcClient small = windowClient(4);
        PythonPeer python = PythonPeer.start("rpc_json.py", "serve", queue).awaitReady(WAIT_SECONDS)) {
      try (Stream<Long> items = small.proxy(FibonacciStreams.class, queue).fibs(90)) {
        assertEquals(fibs(5), items.limit(5).toList(), python::output);
      }
      // the stream's idle timeout is the client's 20 s: a server still waiting for credit would miss this 5 s call
      try (RpcClient quick = RpcClient.builder().uri(uri()).timeout(Duration.ofSeconds(5)).build()) {
        assertEquals(832040, quick.proxy(FibonacciService.class, queue).fib(30), python::output);
      }
    } finally {
      deleteQueue(queue);
    }
  }

  private static String uri() {
    String uri = System.getenv("RPC_AMQP_URI");
    return uri == null || uri.isBlank() ? "amqp://guest:guest@localhost:5672" : uri;
  }

  private static RpcClient windowClient(int window) {
    return RpcClient.builder().uri(uri()).timeout(Duration.ofSeconds(20)).streamWindow(window).build();
  }

  private static PrintStream print(ByteArrayOutputStream bytes) {
    return new PrintStream(bytes, true, StandardCharsets.UTF_8);
  }

  private static void deleteQueue(String queue) throws Exception {
    PythonPeer.deleteQueue(queue);
  }
}
