package dev.rabbitrpc.micrometer;

import dev.rabbitrpc.runtime.RpcCall;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters an observation's timer does not give, from the rabbit-rpc observations:
 * <ul>
 *   <li>{@code rabbit.rpc.client.in_flight} and {@code rabbit.rpc.server.in_flight}: gauges of the
 *       attempts sent and not yet answered, and of the requests running;
 *   <li>{@code rabbit.rpc.client.retries}: a counter of the attempts after the first
 *       ({@code ClientCall.attempt() > 1}) of {@code @Idempotent} calls.
 * </ul>
 * All tagged {@code rpc.method} and {@code messaging.destination.name}. Register it beside
 * Micrometer's {@code DefaultMeterObservationHandler}:
 * {@code registry.observationConfig().observationHandler(new RpcMeterObservationHandler(meters))}.
 *
 * <p>Thread-safe.
 */
public final class RpcMeterObservationHandler implements ObservationHandler<Observation.Context> {
  private final MeterRegistry meters;
  private final Map<Tags, AtomicInteger> clientInFlight = new ConcurrentHashMap<>();
  private final Map<Tags, AtomicInteger> serverInFlight = new ConcurrentHashMap<>();

  public RpcMeterObservationHandler(MeterRegistry meters) {
    this.meters = Objects.requireNonNull(meters, "meters");
  }

  @Override
  public boolean supportsContext(Observation.Context context) {
    return context instanceof RpcClientContext || context instanceof RpcServerContext;
  }

  @Override
  public void onStart(Observation.Context context) {
    if (context instanceof RpcClientContext) {
      RpcClientContext client = (RpcClientContext) context;
      Tags tags = tags(client.call());
      inFlight(clientInFlight, "rabbit.rpc.client.in_flight", "attempts sent and not yet answered", tags)
          .incrementAndGet();
      if (client.call().attempt() > 1) {
        Counter.builder("rabbit.rpc.client.retries").description("attempts after the first of @Idempotent calls")
            .tags(tags).register(meters).increment();
      }
    } else {
      Tags tags = tags(((RpcServerContext) context).call());
      inFlight(serverInFlight, "rabbit.rpc.server.in_flight", "requests running", tags).incrementAndGet();
    }
  }

  @Override
  public void onStop(Observation.Context context) {
    if (context instanceof RpcClientContext) {
      clientInFlight.get(tags(((RpcClientContext) context).call())).decrementAndGet();
    } else {
      serverInFlight.get(tags(((RpcServerContext) context).call())).decrementAndGet();
    }
  }

  private AtomicInteger inFlight(Map<Tags, AtomicInteger> counts, String name, String description, Tags tags) {
    return counts.computeIfAbsent(tags, t -> {
      AtomicInteger count = new AtomicInteger();
      Gauge.builder(name, count, AtomicInteger::get).description(description).tags(t).strongReference(true)
          .register(meters);
      return count;
    });
  }

  private static Tags tags(RpcCall call) {
    return Tags.of(RabbitRpcObservation.LowCardinalityKeys.RPC_METHOD.asString(), Keys.method(call),
        RabbitRpcObservation.LowCardinalityKeys.MESSAGING_DESTINATION_NAME.asString(), call.queue());
  }
}
