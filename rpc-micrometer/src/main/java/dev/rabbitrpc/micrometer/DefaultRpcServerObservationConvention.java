package dev.rabbitrpc.micrometer;

import io.micrometer.common.KeyValues;

/**
 * The default names and keys of {@link RabbitRpcObservation#SERVER}: the observation (and timer)
 * {@code rabbit.rpc.server}, the span named after {@code rpc.method}, tagged with every
 * {@link RabbitRpcObservation.LowCardinalityKeys low-cardinality key} (always all of them, so that
 * every timer of the name has the same tag keys) and the correlation id. Extend it to add or
 * change keys. Thread-safe (stateless).
 */
public class DefaultRpcServerObservationConvention implements RpcServerObservationConvention {
  /** The shared instance. */
  public static final DefaultRpcServerObservationConvention INSTANCE = new DefaultRpcServerObservationConvention();

  @Override
  public String getName() {
    return RabbitRpcObservation.SERVER.getName();
  }

  @Override
  public String getContextualName(RpcServerContext context) {
    return Keys.method(context.call());
  }

  @Override
  public KeyValues getLowCardinalityKeyValues(RpcServerContext context) {
    return Keys.lowCardinality(context.call(), context.statusCode(), context.getError());
  }

  @Override
  public KeyValues getHighCardinalityKeyValues(RpcServerContext context) {
    return Keys.highCardinality(context.call().correlationId(), context.call(), context.getResponse());
  }
}
