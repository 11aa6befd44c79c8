package dev.rabbitrpc.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags a {@link RabbitRpcObservation#CLIENT} observation. Implement it (or extend
 * {@link DefaultRpcClientObservationConvention}) and pass it to
 * {@link ObservationClientInterceptor#ObservationClientInterceptor(io.micrometer.observation.ObservationRegistry, RpcClientObservationConvention)}
 * to change them; {@link OpenTelemetryRpcClientObservationConvention} follows the OpenTelemetry
 * RPC semantic conventions. Implementations must be thread-safe.
 */
public interface RpcClientObservationConvention extends ObservationConvention<RpcClientContext> {
  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof RpcClientContext;
  }
}
