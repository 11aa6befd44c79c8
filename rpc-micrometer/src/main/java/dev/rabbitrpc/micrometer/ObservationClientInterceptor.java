package dev.rabbitrpc.micrometer;

import dev.rabbitrpc.runtime.ClientCall;
import dev.rabbitrpc.runtime.ClientInterceptor;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * Observes every attempt of a client's calls as {@link RabbitRpcObservation#CLIENT}, and puts the
 * trace context a tracing handler propagates ({@code traceparent}, {@code tracestate},
 * {@code baggage}, as the OpenTelemetry Java agent writes them on RabbitMQ messages: string
 * headers) on the request. The observation's parent is the one current on the calling thread;
 * while the attempt is sent, the observation is current.
 *
 * <p>Register it last among a client's interceptors (as {@link RabbitRpcObservation#instrument}
 * does) to observe the calls as the others made them. Thread-safe.
 */
public final class ObservationClientInterceptor implements ClientInterceptor {
  private final ObservationRegistry registry;
  private final RpcClientObservationConvention convention;

  /** Observes with {@link DefaultRpcClientObservationConvention}, unless the registry's configuration says otherwise. */
  public ObservationClientInterceptor(ObservationRegistry registry) {
    this(registry, null);
  }

  /** Observes with {@code convention} (null for the default). */
  public ObservationClientInterceptor(ObservationRegistry registry, RpcClientObservationConvention convention) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.convention = convention;
  }

  @Override
  public CompletionStage<Object> intercept(ClientCall call, Chain chain) {
    if (registry.isNoop()) {
      return chain.proceed(call);
    }
    RpcClientContext context = new RpcClientContext(call);
    Observation observation = RabbitRpcObservation.CLIENT
        .observation(convention, DefaultRpcClientObservationConvention.INSTANCE, () -> context, registry)
        .start();
    ClientCall traced = withHeaders(call, context.getCarrier());
    return Observed.proceed(observation, context, context::statusCode, () -> chain.proceed(traced));
  }

  private static ClientCall withHeaders(ClientCall call, Map<String, String> headers) {
    ClientCall traced = call;
    for (Map.Entry<String, String> header : headers.entrySet()) {
      traced = traced.withHeader(header.getKey(), header.getValue());
    }
    return traced;
  }
}
