package dev.rabbitrpc.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rabbitrpc.micrometer.RpcClientContext;
import dev.rabbitrpc.spring.TestServices.FriendlyGreeter;
import dev.rabbitrpc.spring.TestServices.Greeter;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * A Spring Boot application with Boot's own OpenTelemetry tracing auto-configuration (the SDK,
 * micrometer-tracing's bridge and tracing handlers; every span sampled and also handed to an
 * in-memory exporter), on the real RabbitMQ ({@link RabbitMqBroker}): with nothing of rabbit-rpc's
 * configured, a call through the injected proxy and its export make one trace, the server span the
 * client span's child, and the reply carries the server span's {@code traceparent}.
 */
class SpringBootTracingIT {
  private static final String QUEUE = "spring-test-traced-" + UUID.randomUUID();
  /** Not a bean: Boot would hand a SpanExporter bean to its batching processor as well. */
  private static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
  private static ConfigurableApplicationContext app;

  @BeforeAll
  static void start() {
    app = new SpringApplicationBuilder(TracedApplication.class)
        .web(WebApplicationType.NONE)
        .properties("spring.rabbitmq.host=" + RabbitMqBroker.HOST, "spring.rabbitmq.port=" + RabbitMqBroker.PORT,
            "rabbit-rpc.queues.spring-test-greeter=" + QUEUE, "rabbit-rpc.timeout=10s",
            "rabbit-rpc.shutdown-grace=2s", "management.tracing.sampling.probability=1.0")
        .run();
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
      SpringBootContract.deleteQueues(RabbitMqBroker.HOST, RabbitMqBroker.PORT, QUEUE);
    }
  }

  @Test
  void aCallIsOneTraceAndItsReplyCarriesTheServerSpansTraceparent() throws Exception {
    assertEquals("Hello, Ada", app.getBean(Greeter.class).greet("Ada"));

    InMemorySpanExporter spans = SPANS;
    SpanData client = awaitSpan(spans, SpanKind.CLIENT);
    SpanData server = awaitSpan(spans, SpanKind.SERVER);
    assertEquals(client.getTraceId(), server.getTraceId(), "one trace");
    assertEquals(client.getSpanId(), server.getParentSpanId(), "the server span is the client span's child");
    assertEquals(Greeter.class.getName() + "/greet", client.getName());

    String correlationId = client.getAttributes().get(AttributeKey.stringKey("messaging.message.conversation_id"));
    Map<String, String> reply = app.getBean(ReplyHeaders.class).byCorrelationId.get(correlationId);
    assertNotNull(reply, () -> correlationId + ": " + app.getBean(ReplyHeaders.class).byCorrelationId);
    String traceparent = reply.get("traceparent");
    assertNotNull(traceparent, reply::toString);
    assertTrue(traceparent.matches("00-" + server.getTraceId() + "-" + server.getSpanId() + "-[0-9a-f]{2}"),
        () -> traceparent + ": the trace's id and the server span's " + server.getSpanId());
  }

  /** The one finished span of {@code kind}; a span ends just after the request or reply it sent. */
  private static SpanData awaitSpan(InMemorySpanExporter spans, SpanKind kind) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      List<SpanData> ofKind = spans.getFinishedSpanItems().stream().filter(span -> span.getKind() == kind).toList();
      if (ofKind.size() > 1) {
        fail(kind + " spans: " + ofKind);
      }
      if (ofKind.size() == 1) {
        return ofKind.get(0);
      }
      Thread.sleep(10);
    }
    return fail("no " + kind + " span within 30 s: " + spans.getFinishedSpanItems());
  }

  /** The reply headers each client observation saw, by correlation id. */
  static final class ReplyHeaders implements ObservationHandler<RpcClientContext> {
    final Map<String, Map<String, String>> byCorrelationId = new ConcurrentHashMap<>();

    @Override
    public void onStop(RpcClientContext context) {
      byCorrelationId.put(context.call().correlationId(), context.replyHeaders());
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
      return context instanceof RpcClientContext;
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @ImportRpcClients(types = Greeter.class)
  @Import(FriendlyGreeter.class)
  static class TracedApplication {
    /** Beside Boot's batching processor: every span, as it ends. */
    @Bean
    SpanProcessor exportAtOnce() {
      return SimpleSpanProcessor.create(SPANS);
    }

    @Bean
    ReplyHeaders replyHeaders() {
      return new ReplyHeaders();
    }
  }
}
