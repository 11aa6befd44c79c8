package dev.rabbitrpc.micrometer;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.micrometer.RabbitRpcObservation.HighCardinalityKeys;
import dev.rabbitrpc.micrometer.RabbitRpcObservation.LowCardinalityKeys;
import dev.rabbitrpc.runtime.RpcCall;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** The values of the keys, computed in one place for both sides and every convention. */
final class Keys {
  static final String SYSTEM = "rabbit_rpc";
  static final String MESSAGING_SYSTEM = "rabbitmq";
  static final String OK = "OK";
  static final String NONE = "none";

  private Keys() {}

  /** {@code Service/method}: the interface's binary name, the method's wire name (overloads have distinct ones). */
  static String method(RpcCall call) {
    return call.service().getName() + "/" + call.methodName();
  }

  /** The failure a stage completed with, without the wrappers CompletableFuture adds. */
  static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /**
   * The protocol's status of an outcome: {@code OK}, an RpcException's code, else
   * {@code APPLICATION_ERROR} (what the server answers for any other exception, and what a
   * client's reconstructed remote exception came as).
   */
  static String status(Throwable failure) {
    if (failure == null) {
      return OK;
    }
    Throwable cause = unwrap(failure);
    return cause instanceof RpcException ? ((RpcException) cause).code().name() : Code.APPLICATION_ERROR.name();
  }

  /** OpenTelemetry's {@code error.type}: the code of an RpcException, else the failure's class name. */
  static String errorType(Throwable failure) {
    if (failure == null) {
      return NONE;
    }
    Throwable cause = unwrap(failure);
    return cause instanceof RpcException ? ((RpcException) cause).code().name() : cause.getClass().getName();
  }

  static KeyValues lowCardinality(RpcCall call, String status, Throwable error) {
    return KeyValues.of(
        KeyValue.of(LowCardinalityKeys.RPC_SYSTEM_NAME, SYSTEM),
        KeyValue.of(LowCardinalityKeys.RPC_METHOD, method(call)),
        KeyValue.of(LowCardinalityKeys.RPC_STATUS_CODE, status != null ? status : status(error)),
        KeyValue.of(LowCardinalityKeys.ERROR_TYPE, errorType(error)),
        KeyValue.of(LowCardinalityKeys.MESSAGING_SYSTEM, MESSAGING_SYSTEM),
        KeyValue.of(LowCardinalityKeys.MESSAGING_DESTINATION_NAME, call.queue()));
  }

  static KeyValues highCardinality(String correlationId) {
    return correlationId == null ? KeyValues.empty()
        : KeyValues.of(KeyValue.of(HighCardinalityKeys.MESSAGING_CONVERSATION_ID, correlationId));
  }

  /**
   * As {@link #highCardinality(String)}, and for a streaming call ({@code Stream<T>} or
   * {@code Flow.Publisher<T>} method) that ended well, its item count: the outcome such a call's
   * interceptors see, on either side.
   */
  static KeyValues highCardinality(String correlationId, RpcCall call, Object response) {
    KeyValues values = highCardinality(correlationId);
    Class<?> returns = call.method().getReturnType();
    boolean streaming = returns == java.util.stream.Stream.class || returns == java.util.concurrent.Flow.Publisher.class;
    return streaming && response instanceof Number
        ? values.and(KeyValue.of(HighCardinalityKeys.RPC_STREAM_ITEMS, response.toString())) : values;
  }

  /**
   * The attributes of the OpenTelemetry RPC semantic conventions, version {@value #SEMCONV_VERSION}:
   * {@code rpc.system.name}, {@code rpc.method}, {@code rpc.response.status_code}, and
   * {@code error.type} only when the call failed.
   */
  static KeyValues openTelemetry(RpcCall call, String status, Throwable error) {
    KeyValues values = KeyValues.of(
        KeyValue.of("rpc.system.name", SYSTEM),
        KeyValue.of("rpc.method", method(call)),
        KeyValue.of("rpc.response.status_code", status != null ? status : status(error)));
    return error == null ? values : values.and(KeyValue.of("error.type", errorType(error)));
  }

  /** The OpenTelemetry semantic conventions version the OpenTelemetry conventions follow. */
  static final String SEMCONV_VERSION = "1.40.0";
}
