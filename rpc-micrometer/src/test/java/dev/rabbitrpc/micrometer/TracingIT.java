package dev.rabbitrpc.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One trace across client, broker and server, through the OpenTelemetry SDK (micrometer-tracing's
 * bridge) and an in-memory exporter.
 */
@RpcBrokerTest
class TracingIT {
  private final RpcBroker broker;
  private final String queue;
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final SdkTracerProvider tracerProvider =
      SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
  private final ObservationRegistry observations = ObservationRegistry.create();
  /** The application headers each request reached the server with, by correlation id. */
  private final Map<String, Map<String, String>> received = new ConcurrentHashMap<>();
  /** The application headers of each attempt's reply, as its client observation had them when it stopped, by correlation id. */
  private final Map<String, Map<String, String>> replied = new ConcurrentHashMap<>();

  TracingIT(RpcBroker broker) {
    this.broker = broker;
    this.queue = broker.uniqueQueue("tracing");
    broker.deleteAfterTest(queue);
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(tracerProvider)
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
    io.opentelemetry.api.trace.Tracer otel = sdk.getTracer("rabbit-rpc-test");
    OtelCurrentTraceContext current = new OtelCurrentTraceContext();
    OtelTracer tracer = new OtelTracer(otel, current, event -> { }, new OtelBaggageManager(current, List.of(), List.of()));
    OtelPropagator propagator = new OtelPropagator(sdk.getPropagators(), otel);
    observations.observationConfig().observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
        new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
        new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
        new DefaultTracingObservationHandler(tracer)));
    // After the tracing handlers, which make the server's span it writes onto the reply.
    observations.observationConfig().observationHandler(new TraceContextReplyHandler(propagator));
    observations.observationConfig().observationHandler(new ObservationHandler<RpcClientContext>() {
      @Override
      public void onStop(RpcClientContext context) {
        replied.put(context.call().correlationId(), context.replyHeaders());
      }

      @Override
      public boolean supportsContext(Observation.Context context) {
        return context instanceof RpcClientContext;
      }
    });
  }

  @AfterEach
  void closeTracing() {
    tracerProvider.close();
  }

  private Greeter tracedGreeter() {
    RpcClient client = broker.newClient(builder -> RabbitRpcObservation.instrument(builder
        .serverInterceptor((call, chain) -> {
          received.put(call.correlationId(), call.headers());
          return chain.proceed(call);
        }), observations));
    client.export(Greeter.class, new Greeter.Impl(), queue);
    return client.proxy(Greeter.class, queue);
  }

  private static SpanData only(List<SpanData> all, SpanKind kind) {
    List<SpanData> ofKind = all.stream().filter(span -> span.getKind() == kind).toList();
    assertEquals(1, ofKind.size(), () -> kind + " spans: " + all);
    return ofKind.get(0);
  }

  @Test
  void theServerSpanIsTheChildOfTheClientSpanInOneTrace() {
    tracedGreeter().greet("a");

    List<SpanData> all = spans.getFinishedSpanItems();
    SpanData client = only(all, SpanKind.CLIENT);
    SpanData server = only(all, SpanKind.SERVER);
    assertEquals(client.getTraceId(), server.getTraceId(), "one trace");
    assertEquals(client.getSpanId(), server.getParentSpanId(), "the server's span is the client's child");
    assertTrue(server.getParentSpanContext().isRemote());

    String method = Greeter.class.getName() + "/greet";
    assertEquals(method, client.getName());
    for (SpanData span : List.of(client, server)) {
      assertEquals("rabbit_rpc", span.getAttributes().get(AttributeKey.stringKey("rpc.system.name")));
      assertEquals(method, span.getAttributes().get(AttributeKey.stringKey("rpc.method")));
      assertEquals("OK", span.getAttributes().get(AttributeKey.stringKey("rpc.status_code")));
      assertEquals("rabbitmq", span.getAttributes().get(AttributeKey.stringKey("messaging.system")));
      assertEquals(queue, span.getAttributes().get(AttributeKey.stringKey("messaging.destination.name")));
    }
    String correlationId = client.getAttributes().get(AttributeKey.stringKey("messaging.message.conversation_id"));
    assertNotNull(correlationId);
    assertEquals(correlationId, server.getAttributes().get(AttributeKey.stringKey("messaging.message.conversation_id")));
  }

  @Test
  void theRequestCarriesAW3cTraceparentAsAStringHeader() {
    tracedGreeter().greet("a");

    SpanData client = only(spans.getFinishedSpanItems(), SpanKind.CLIENT);
    String correlationId = client.getAttributes().get(AttributeKey.stringKey("messaging.message.conversation_id"));
    Map<String, String> headers = received.get(correlationId);
    assertNotNull(headers, () -> "no request seen for " + correlationId + ": " + received);
    String traceparent = headers.get("traceparent");
    assertNotNull(traceparent, () -> "headers: " + headers);
    // version 00, the client span's ids, then the flags (sampled; the SDK may add W3C level 2's "random").
    assertTrue(traceparent.startsWith("00-" + client.getTraceId() + "-" + client.getSpanId() + "-"), traceparent);
    assertTrue(traceparent.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}"), traceparent);
  }

  @Test
  void aFailedCallEndsBothSpansWithAnError() {
    Greeter greeter = tracedGreeter();
    assertThrows(RpcException.class, () -> greeter.refuse("a"));

    for (SpanKind kind : new SpanKind[] {SpanKind.CLIENT, SpanKind.SERVER}) {
      SpanData span = only(spans.getFinishedSpanItems(), kind);
      assertEquals(StatusCode.ERROR, span.getStatus().getStatusCode(), kind.toString());
      assertEquals("INVALID_ARGUMENT", span.getAttributes().get(AttributeKey.stringKey("rpc.status_code")));
      assertEquals("INVALID_ARGUMENT", span.getAttributes().get(AttributeKey.stringKey("error.type")));
    }
  }

  @Test
  void theHandlerLogsWithTheCorrelationIdMethodAndTraceIdInItsMdc() {
    String mdc = tracedGreeter().mdc();

    SpanData client = only(spans.getFinishedSpanItems(), SpanKind.CLIENT);
    String correlationId = client.getAttributes().get(AttributeKey.stringKey("messaging.message.conversation_id"));
    assertEquals(correlationId + "|" + Greeter.class.getName() + "/mdc|" + client.getTraceId(), mdc);
  }

  /** The reply of the call {@code client} observed carried {@code server}'s W3C trace context: the caller's trace. */
  private void assertTheReplyCarriesTheServerSpan(SpanData client, SpanData server) {
    assertEquals(client.getTraceId(), server.getTraceId(), "one trace");
    String correlationId = client.getAttributes().get(AttributeKey.stringKey("messaging.message.conversation_id"));
    Map<String, String> reply = replied.get(correlationId);
    assertNotNull(reply, () -> "no reply seen for " + correlationId + ": " + replied);
    String traceparent = reply.get("traceparent");
    assertNotNull(traceparent, () -> "reply headers: " + reply);
    assertTrue(traceparent.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}"), traceparent);
    assertTrue(traceparent.startsWith("00-" + client.getTraceId() + "-" + server.getSpanId() + "-"),
        () -> traceparent + ": the client's trace id, the server span's id " + server.getSpanId());
    assertEquals(Map.of("traceparent", traceparent), reply,
        "only the W3C trace context (no tracestate here: the server span has none), no baggage, none of the protocol's");
  }

  @Test
  void theReplyCarriesTheServerSpansTracestateWhenItHasOne() {
    Greeter greeter = tracedGreeter();
    // The caller's own caller sent trace state: the client's span inherits it, the server's from the request.
    SpanContext upstream = SpanContext.createFromRemoteParent("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
        TraceFlags.getSampled(), TraceState.builder().put("vendor", "v1").build());
    Scope scope = Context.root().with(Span.wrap(upstream)).makeCurrent();
    try {
      greeter.greet("c");
    } finally {
      scope.close();
    }

    List<SpanData> all = spans.getFinishedSpanItems();
    SpanData client = only(all, SpanKind.CLIENT);
    SpanData server = only(all, SpanKind.SERVER);
    assertEquals(upstream.getTraceId(), client.getTraceId());
    String correlationId = client.getAttributes().get(AttributeKey.stringKey("messaging.message.conversation_id"));
    Map<String, String> reply = replied.get(correlationId);
    assertNotNull(reply, () -> "no reply seen for " + correlationId + ": " + replied);
    assertTrue(reply.getOrDefault("traceparent", "").startsWith("00-" + upstream.getTraceId() + "-" + server.getSpanId() + "-"),
        () -> "reply headers: " + reply);
    assertEquals("vendor=v1", reply.get("tracestate"), () -> "reply headers: " + reply);
  }

  @Test
  void theReplyCarriesTheServerSpansTraceparentInTheClientsTrace() {
    tracedGreeter().greet("a");

    List<SpanData> all = spans.getFinishedSpanItems();
    assertTheReplyCarriesTheServerSpan(only(all, SpanKind.CLIENT), only(all, SpanKind.SERVER));
  }

  @Test
  void theReplyOfACompletableFutureCallCarriesTheServerSpansTraceparent() throws Exception {
    assertEquals("later b", tracedGreeter().greetLater("b").get(10, TimeUnit.SECONDS));

    List<SpanData> all = spans.getFinishedSpanItems();
    assertTheReplyCarriesTheServerSpan(only(all, SpanKind.CLIENT), only(all, SpanKind.SERVER));
  }

  @Test
  void anErrorReplyCarriesTheServerSpansTraceparentToo() {
    Greeter greeter = tracedGreeter();
    assertThrows(RpcException.class, () -> greeter.refuse("a"));

    List<SpanData> all = spans.getFinishedSpanItems();
    assertTheReplyCarriesTheServerSpan(only(all, SpanKind.CLIENT), only(all, SpanKind.SERVER));
  }
}
