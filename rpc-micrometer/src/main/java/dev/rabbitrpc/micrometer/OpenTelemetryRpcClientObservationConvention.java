package dev.rabbitrpc.micrometer;

import io.micrometer.common.KeyValues;

/**
 * {@link RabbitRpcObservation#CLIENT} as the OpenTelemetry semantic conventions for RPC, version
 * 1.40.0, name it: the timer {@code rpc.client.call.duration} (exported in seconds), the span named
 * after {@code rpc.method}, the attributes {@code rpc.system.name} ({@code rabbit_rpc}),
 * {@code rpc.method} ({@code Service/method}), {@code rpc.response.status_code} ({@code OK} or the
 * code's name) and, only when the call failed, {@code error.type}. The correlation id stays a
 * high-cardinality key ({@code messaging.message.conversation_id}).
 *
 * <p>Because {@code error.type} is absent on success, as the conventions say, the timer's tag keys
 * differ between successes and failures; registries that require one set of tag keys per name
 * (Prometheus) should use {@link DefaultRpcClientObservationConvention}. Thread-safe (stateless).
 */
public class OpenTelemetryRpcClientObservationConvention implements RpcClientObservationConvention {
  /** The shared instance. */
  public static final OpenTelemetryRpcClientObservationConvention INSTANCE =
      new OpenTelemetryRpcClientObservationConvention();

  @Override
  public String getName() {
    return "rpc.client.call.duration";
  }

  @Override
  public String getContextualName(RpcClientContext context) {
    return Keys.method(context.call());
  }

  @Override
  public KeyValues getLowCardinalityKeyValues(RpcClientContext context) {
    return Keys.openTelemetry(context.call(), context.statusCode(), context.getError());
  }

  @Override
  public KeyValues getHighCardinalityKeyValues(RpcClientContext context) {
    return Keys.highCardinality(context.call().correlationId(), context.call(), context.getResponse());
  }
}
