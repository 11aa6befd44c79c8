package dev.rabbitrpc.examples.observability;

import dev.rabbitrpc.micrometer.TraceContextReplyHandler;
import io.micrometer.observation.ObservationHandler.FirstMatchingCompositeObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.exporter.logging.LoggingSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * OpenTelemetry tracing behind Micrometer's observations, as an application without Spring Boot
 * wires it: the OpenTelemetry SDK (spans logged through {@code java.util.logging} by
 * {@link LoggingSpanExporter}, and kept in memory for {@link #finishedSpans()}), micrometer-tracing's
 * OpenTelemetry bridge (tracer and W3C propagator: {@code traceparent}, {@code tracestate},
 * {@code baggage}) and its tracing observation handlers, then rpc-micrometer's
 * {@link TraceContextReplyHandler}. With these handlers on its {@link ObservationRegistry}, an
 * instrumented client puts W3C trace context on every request, each server span is the child of
 * the client span that sent the request, and every reply carries the server span's
 * {@code traceparent}.
 *
 * <p>Thread-safe. {@link #close()} flushes and shuts the SDK down.
 */
public final class Tracing implements AutoCloseable {
  private final List<SpanData> finished = new CopyOnWriteArrayList<>();
  private final SdkTracerProvider provider;
  private final OtelTracer tracer;
  private final OtelPropagator propagator;

  /** A tracer provider that logs every finished span and keeps it for {@link #finishedSpans()}. */
  public Tracing() {
    provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(SpanExporter.composite(LoggingSpanExporter.create(), new Kept())))
        .build();
    io.opentelemetry.api.trace.Tracer otel = provider.get("dev.rabbitrpc.examples");
    OtelCurrentTraceContext current = new OtelCurrentTraceContext();
    tracer = new OtelTracer(otel, current, event -> { }, new OtelBaggageManager(current, List.of(), List.of()));
    propagator = new OtelPropagator(ContextPropagators.create(TextMapPropagator.composite(
        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())), otel);
  }

  /** Registers the tracing handlers on {@code observations}, then the handler that writes trace context on replies. */
  public void registerOn(ObservationRegistry observations) {
    FirstMatchingCompositeObservationHandler tracingHandlers = new FirstMatchingCompositeObservationHandler(
        new PropagatingSenderTracingObservationHandler<>(tracer, propagator),   // client: traceparent on requests
        new PropagatingReceiverTracingObservationHandler<>(tracer, propagator), // server: the request's span's child
        new DefaultTracingObservationHandler(tracer));                         // any other observation
    observations.observationConfig()
        .observationHandler(tracingHandlers)                          // e.g. Propagating{Sender,Receiver}TracingObservationHandler
        .observationHandler(new TraceContextReplyHandler(propagator)); // the server span's traceparent on every reply
  }

  /** micrometer-tracing's tracer, e.g. for {@code tracer.currentSpan()}. */
  public io.micrometer.tracing.Tracer tracer() {
    return tracer;
  }

  /** The spans finished so far, in the order they ended. */
  public List<SpanData> finishedSpans() {
    return List.copyOf(finished);
  }

  @Override
  public void close() {
    provider.close();
  }

  /** The in-memory half of the exporter. */
  private final class Kept implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      finished.addAll(spans);
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
