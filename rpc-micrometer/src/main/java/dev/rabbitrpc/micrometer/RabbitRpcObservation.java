package dev.rabbitrpc.micrometer;

import dev.rabbitrpc.runtime.RpcClient;
import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.docs.ObservationDocumentation;
import java.util.Objects;

/**
 * The observations of rabbit-rpc: {@link #CLIENT} around every attempt a client sends, {@link #SERVER}
 * around every request a server runs, with the keys they carry; and {@link #instrument}, which adds
 * both to a client's builder.
 *
 * <pre>{@code
 * RpcClient client = RabbitRpcObservation.instrument(RpcClient.builder(), observationRegistry).build();
 * }</pre>
 *
 * <p>Thread-safe (an enum of constants).
 */
public enum RabbitRpcObservation implements ObservationDocumentation {
  /** One attempt of a call, from send to outcome; a retry is an observation of its own. */
  CLIENT {
    @Override
    public String getName() {
      return "rabbit.rpc.client";
    }

    @Override
    public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
      return DefaultRpcClientObservationConvention.class;
    }
  },

  /** One request on the server, from the interceptors to the handler's outcome. */
  SERVER {
    @Override
    public String getName() {
      return "rabbit.rpc.server";
    }

    @Override
    public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
      return DefaultRpcServerObservationConvention.class;
    }
  };

  /** Both observations have the same keys. */
  @Override
  public KeyName[] getLowCardinalityKeyNames() {
    return LowCardinalityKeys.values();
  }

  @Override
  public KeyName[] getHighCardinalityKeyNames() {
    return HighCardinalityKeys.values();
  }

  /** Keys with few values: they tag the timers. */
  public enum LowCardinalityKeys implements KeyName {
    /** Always {@code rabbit_rpc}. */
    RPC_SYSTEM_NAME("rpc.system.name"),
    /** {@code Service/method}: the service interface's binary name and the method's wire name. */
    RPC_METHOD("rpc.method"),
    /** {@code OK}, or the name of the {@link dev.rabbitrpc.api.RpcException.Code} the call ended with. */
    RPC_STATUS_CODE("rpc.status_code"),
    /** The code of a failed call, or the class name of a failure that is not an RpcException; {@code none} if it succeeded. */
    ERROR_TYPE("error.type"),
    /** Always {@code rabbitmq}. */
    MESSAGING_SYSTEM("messaging.system"),
    /** The request queue (never the reply queue). */
    MESSAGING_DESTINATION_NAME("messaging.destination.name");

    private final String key;

    LowCardinalityKeys(String key) {
      this.key = key;
    }

    @Override
    public String asString() {
      return key;
    }
  }

  /** Keys with a value per call: on spans, not on timers. */
  public enum HighCardinalityKeys implements KeyName {
    /** The correlation id of the attempt (client) or request (server). */
    MESSAGING_CONVERSATION_ID("messaging.message.conversation_id"),
    /** A streaming call that ended well: how many items it carried (absent for other calls). */
    RPC_STREAM_ITEMS("rpc.stream.items");

    private final String key;

    HighCardinalityKeys(String key) {
      this.key = key;
    }

    @Override
    public String asString() {
      return key;
    }
  }

  /**
   * Adds a {@link ObservationClientInterceptor}, an {@link ObservationServerInterceptor} (both with
   * the default conventions) and a {@link MdcServerInterceptor} to {@code builder}, after the
   * interceptors it already has: the observations then see the calls as those interceptors made
   * them (their headers included). Register a {@link RpcMeterObservationHandler} on the registry
   * for the in-flight gauges and the retry counter.
   *
   * @return {@code builder}
   */
  public static RpcClient.Builder instrument(RpcClient.Builder builder, ObservationRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    return builder.interceptor(new ObservationClientInterceptor(registry))
        .serverInterceptor(new ObservationServerInterceptor(registry))
        .serverInterceptor(new MdcServerInterceptor());
  }
}
