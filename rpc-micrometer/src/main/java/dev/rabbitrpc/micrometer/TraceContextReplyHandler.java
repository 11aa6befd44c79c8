package dev.rabbitrpc.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.handler.TracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Puts the server span's W3C trace context on the reply: when a {@link RabbitRpcObservation#SERVER}
 * observation starts, the span a tracing handler (micrometer-tracing's
 * {@code PropagatingReceiverTracingObservationHandler}) made for it is written with the tracer's
 * {@link Propagator}, and its {@code traceparent} and {@code tracestate} (if any) become
 * application headers of the reply ({@link RpcServerContext#putReplyHeader}). A client reads them
 * from the reply ({@link RpcClientContext#replyHeaders()}, {@code ClientCall.replyHeaders()}):
 * which span answered, in which trace. Nothing else the propagator writes (baggage, say) is put on
 * the reply.
 *
 * <pre>{@code
 * registry.observationConfig()
 *     .observationHandler(tracingHandlers)                        // the span is made here...
 *     .observationHandler(new TraceContextReplyHandler(propagator)); // ...and written onto the reply here
 * }</pre>
 *
 * <p>Register it <b>after</b> the tracing handlers: handlers start in the order they were
 * registered, and without a span (none made yet, or no tracing handler) it puts nothing on the
 * reply. Needs micrometer-tracing on the class path (an optional dependency of rpc-micrometer).
 *
 * <p>Thread-safe.
 */
public final class TraceContextReplyHandler implements ObservationHandler<RpcServerContext> {
  /** The W3C headers put on replies, as a {@code W3CTraceContextPropagator} writes them. */
  static final String TRACEPARENT = "traceparent";
  static final String TRACESTATE = "tracestate";

  private final Propagator propagator;

  /** Writes the server span's context with {@code propagator} (the tracer's, W3C trace context). */
  public TraceContextReplyHandler(Propagator propagator) {
    this.propagator = Objects.requireNonNull(propagator, "propagator");
  }

  @Override
  public void onStart(RpcServerContext context) {
    TracingObservationHandler.TracingContext tracing = context.get(TracingObservationHandler.TracingContext.class);
    Span span = tracing == null ? null : tracing.getSpan();
    if (span == null || span.isNoop()) {
      return;
    }
    Map<String, String> written = new LinkedHashMap<>();
    propagator.inject(span.context(), written, Map::put);
    for (String name : new String[] {TRACEPARENT, TRACESTATE}) {
      String value = written.get(name);
      if (value != null && !value.isEmpty()) {
        context.putReplyHeader(name, value);
      }
    }
  }

  @Override
  public boolean supportsContext(Observation.Context context) {
    return context instanceof RpcServerContext;
  }
}
