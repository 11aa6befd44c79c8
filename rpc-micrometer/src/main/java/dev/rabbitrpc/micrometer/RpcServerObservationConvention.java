package dev.rabbitrpc.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags a {@link RabbitRpcObservation#SERVER} observation. Implement it (or extend
 * {@link DefaultRpcServerObservationConvention}) and pass it to
 * {@link ObservationServerInterceptor#ObservationServerInterceptor(io.micrometer.observation.ObservationRegistry, RpcServerObservationConvention)}
 * to change them; {@link OpenTelemetryRpcServerObservationConvention} follows the OpenTelemetry
 * RPC semantic conventions. Implementations must be thread-safe.
 */
public interface RpcServerObservationConvention extends ObservationConvention<RpcServerContext> {
  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof RpcServerContext;
  }
}
