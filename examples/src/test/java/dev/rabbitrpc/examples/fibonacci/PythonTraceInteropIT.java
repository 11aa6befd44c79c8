package dev.rabbitrpc.examples.fibonacci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rabbitrpc.examples.observability.Tracing;
import dev.rabbitrpc.micrometer.RabbitRpcObservation;
import dev.rabbitrpc.runtime.RpcClient;
import io.micrometer.observation.ObservationRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * W3C trace context between the Python peers (pika, interop/python) and a Java client and server
 * traced with rpc-micrometer, micrometer-tracing's OpenTelemetry bridge and the OpenTelemetry SDK
 * ({@link Tracing}, the observability example's wiring), on the real broker: a {@code traceparent}
 * pika made itself is the parent of the Java server's span, whose own comes back on the reply; and
 * the {@code traceparent} a Java client sends reaches a pika server as the OpenTelemetry Java agent's
 * RabbitMQ instrumentation writes it: a string header, as the W3C propagator formats it.
 */
class PythonTraceInteropIT {
  private static final long WAIT_SECONDS = 60;
  private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");

  private final Tracing tracing = new Tracing();
  private final String queue = "interop-trace-" + UUID.randomUUID().toString().substring(0, 8);
  /** The application headers each request reached the Java server with, by correlation id. */
  private final Map<String, Map<String, String>> received = new ConcurrentHashMap<>();
  private RpcClient client;

  @BeforeAll
  static void requirePika() throws Exception {
    PythonPeer.requirePika();
  }

  @BeforeEach
  void tracedClient() {
    ObservationRegistry observations = ObservationRegistry.create();
    tracing.registerOn(observations);
    String uri = System.getenv("RPC_AMQP_URI");
    client = RabbitRpcObservation.instrument(RpcClient.builder()
        .uri(uri == null || uri.isBlank() ? "amqp://guest:guest@localhost:5672" : uri)
        .timeout(Duration.ofSeconds(20))
        .serverInterceptor((call, chain) -> {
          received.put(call.correlationId(), call.headers());
          return chain.proceed(call);
        }), observations).build();
  }

  @AfterEach
  void close() throws Exception {
    client.close();
    tracing.close();
    PythonPeer.deleteQueue(queue);
  }

  @Test
  void aPikaClientsTraceparentIsTheParentOfTheJavaServerSpanWhoseTraceparentComesBackOnTheReply() throws Exception {
    client.export(FibonacciService.class, new FibonacciServiceImpl(), queue);
    try (PythonPeer python = PythonPeer.start("rpc_client.py", "--trace", "30", queue, "30")) {
      assertEquals(0, python.awaitExit(WAIT_SECONDS), python::output);
      String output = python.output();
      assertTrue(output.contains(" [.] Got 832040"), output);
      Matcher sent = line(output, " [.] traceparent ");
      Matcher replied = line(output, " [.] reply traceparent ");

      SpanData server = awaitSpan(SpanKind.SERVER);
      assertEquals(sent.group(1), server.getTraceId(), "the pika's trace");
      assertEquals(sent.group(2), server.getParentSpanId(), "the server span is the child of the pika's span");
      assertTrue(server.getParentSpanContext().isRemote());
      assertEquals("interop", server.getSpanContext().getTraceState().get("pika"), "the pika's tracestate, kept");
      assertEquals(server.getTraceId(), replied.group(1));
      assertEquals(server.getSpanId(), replied.group(2), "the reply names the server's span");

      String correlationId = server.getAttributes().get(
          io.opentelemetry.api.common.AttributeKey.stringKey("messaging.message.conversation_id"));
      Map<String, String> headers = received.get(correlationId);
      assertNotNull(headers, () -> correlationId + ": " + received);
      assertEquals("pika=interop", headers.get("tracestate"), headers::toString);
      assertEquals("peer=pika", headers.get("baggage"), headers::toString);
    }
  }

  @Test
  void aJavaClientsTraceparentReachesAPikaServerAsAStringHeaderInTheOtelAgentsFormat() throws Exception {
    try (PythonPeer python = PythonPeer.start("rpc_server.py", "--print-headers", queue).awaitReady(WAIT_SECONDS)) {
      assertEquals(55, client.proxy(PlainFibonacciService.class, queue).fib(10), python::output);

      SpanData call = awaitSpan(SpanKind.CLIENT);
      // What the agent's RabbitMQ instrumentation puts in the headers: its W3C propagator's output, as strings.
      Map<String, String> agent = new LinkedHashMap<>();
      W3CTraceContextPropagator.getInstance().inject(Context.root().with(Span.wrap(call.getSpanContext())), agent,
          Map::put);
      String traceparent = agent.get("traceparent");
      // Version 00, the client span's ids, its flags (sampled; this SDK also sets W3C level 2's "random", 03).
      assertTrue(TRACEPARENT.matcher(traceparent).matches()
          && traceparent.startsWith("00-" + call.getTraceId() + "-" + call.getSpanId() + "-"), traceparent);
      // pika decodes an AMQP long string to str (a byte array to bytes); the server prints it before fib.
      String expected = " [.] header traceparent str " + traceparent;
      awaitLine(python, " [.] fib(10)");
      List<String> headerLines = python.output().lines().filter(l -> l.startsWith(" [.] header ")).toList();
      assertEquals(List.of(expected), headerLines.stream().filter(l -> l.startsWith(" [.] header trace")).toList(),
          python::output);
      assertTrue(headerLines.stream().noneMatch(l -> l.startsWith(" [.] header baggage")), python::output);
    }
  }

  private static Matcher line(String output, String prefix) {
    Matcher matcher = Pattern.compile(Pattern.quote(prefix) + "(" + TRACEPARENT.pattern() + ")").matcher(output);
    assertTrue(matcher.find(), () -> "no '" + prefix + "': " + output);
    Matcher ids = TRACEPARENT.matcher(matcher.group(1));
    assertTrue(ids.matches());
    return ids;
  }

  /** The one span of {@code kind}, once it has ended (a span ends just after its reply or request went out). */
  private SpanData awaitSpan(SpanKind kind) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(WAIT_SECONDS).toNanos();
    while (System.nanoTime() < deadline) {
      List<SpanData> ofKind = tracing.finishedSpans().stream().filter(span -> span.getKind() == kind).toList();
      if (ofKind.size() > 1) {
        fail(kind + " spans: " + ofKind);
      }
      if (ofKind.size() == 1) {
        return ofKind.get(0);
      }
      Thread.sleep(10);
    }
    return fail("no " + kind + " span within " + WAIT_SECONDS + " s: " + tracing.finishedSpans());
  }

  private static void awaitLine(PythonPeer python, String line) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(WAIT_SECONDS).toNanos();
    while (!python.output().lines().anyMatch(line::equals)) {
      if (System.nanoTime() >= deadline) {
        fail("no '" + line + "' within " + WAIT_SECONDS + " s: " + python.output());
      }
      Thread.sleep(10);
    }
  }
}
