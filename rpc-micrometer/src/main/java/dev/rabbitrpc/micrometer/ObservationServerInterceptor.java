package dev.rabbitrpc.micrometer;

import dev.rabbitrpc.runtime.ServerCall;
import dev.rabbitrpc.runtime.ServerInterceptor;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * Observes every request a server runs as {@link RabbitRpcObservation#SERVER}. A tracing handler
 * reads the caller's trace context from the request's headers, so the server's span is the child
 * of the client's; while the handler runs the observation is current on the worker thread, so the
 * calls it makes are its children. The observation stops when the handler's outcome is known
 * (for an async method, when its future completes).
 *
 * <p>The reply carries the application headers the observation's handlers put on it when it
 * started ({@link RpcServerContext#putReplyHeader}): with {@link TraceContextReplyHandler}
 * registered, the server span's {@code traceparent} and {@code tracestate}.
 *
 * <p>Thread-safe.
 */
public final class ObservationServerInterceptor implements ServerInterceptor {
  private final ObservationRegistry registry;
  private final RpcServerObservationConvention convention;

  /** Observes with {@link DefaultRpcServerObservationConvention}, unless the registry's configuration says otherwise. */
  public ObservationServerInterceptor(ObservationRegistry registry) {
    this(registry, null);
  }

  /** Observes with {@code convention} (null for the default). */
  public ObservationServerInterceptor(ObservationRegistry registry, RpcServerObservationConvention convention) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.convention = convention;
  }

  @Override
  public CompletionStage<Object> intercept(ServerCall call, Chain chain) {
    if (registry.isNoop()) {
      return chain.proceed(call);
    }
    RpcServerContext context = new RpcServerContext(call);
    Observation observation = RabbitRpcObservation.SERVER
        .observation(convention, DefaultRpcServerObservationConvention.INSTANCE, () -> context, registry)
        .start();
    // The call as the handlers left it when the observation started: with their reply headers, if any.
    return Observed.proceed(observation, context, context::statusCode, () -> chain.proceed(context.call()));
  }
}
