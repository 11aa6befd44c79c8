package dev.rabbitrpc.micrometer;

import io.micrometer.common.KeyValues;

/**
 * The default names and keys of {@link RabbitRpcObservation#CLIENT}: the observation (and timer)
 * {@code rabbit.rpc.client}, the span named after {@code rpc.method}, tagged with every
 * {@link RabbitRpcObservation.LowCardinalityKeys low-cardinality key} (always all of them, so that
 * every timer of the name has the same tag keys) and the correlation id. Extend it to add or
 * change keys. Thread-safe (stateless).
 */
public class DefaultRpcClientObservationConvention implements RpcClientObservationConvention {
  /** The shared instance. */
  public static final DefaultRpcClientObservationConvention INSTANCE = new DefaultRpcClientObservationConvention();

  @Override
  public String getName() {
    return RabbitRpcObservation.CLIENT.getName();
  }

  @Override
  public String getContextualName(RpcClientContext context) {
    return Keys.method(context.call());
  }

  @Override
  public KeyValues getLowCardinalityKeyValues(RpcClientContext context) {
    return Keys.lowCardinality(context.call(), context.statusCode(), context.getError());
  }

  @Override
  public KeyValues getHighCardinalityKeyValues(RpcClientContext context) {
    return Keys.highCardinality(context.call().correlationId(), context.call(), context.getResponse());
  }
}
