package dev.rabbitrpc.benchmarks;

import dev.rabbitrpc.micrometer.RabbitRpcObservation;
import dev.rabbitrpc.micrometer.RpcMeterObservationHandler;
import dev.rabbitrpc.micrometer.TraceContextReplyHandler;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationHandler.FirstMatchingCompositeObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The observation set-ups of the observed rabbit-rpc peers, client and server alike: Micrometer
 * timers (rpc-micrometer's interceptors, a {@link DefaultMeterObservationHandler} and an
 * {@link RpcMeterObservationHandler} on a {@link SimpleMeterRegistry}), and the same with
 * OpenTelemetry spans (micrometer-tracing's bridge on the SDK, every span sampled and batched to an
 * exporter that drops them: the SDK's work without an exporter's I/O; W3C trace context on requests
 * and replies). Each is one registry that
 * both the peer's client and its server use, as in one application. Each peer has a server of its
 * own, on a queue of its own, with the settings of the plain rabbit-rpc peer's.
 *
 * <p>Thread-safe; {@link #close()} closes the peers' servers (deleting their queues) and clients,
 * then shuts the tracer provider down.
 */
final class ObservedPeers implements AutoCloseable {
  static final String METERED = "rabbit-rpc sync (observed)";
  static final String TRACED = "rabbit-rpc sync (observed + traced)";

  private final MeterRegistry meters = new SimpleMeterRegistry();
  private final SdkTracerProvider tracerProvider = SdkTracerProvider.builder()
      .addSpanProcessor(BatchSpanProcessor.builder(SpanExporter.composite()).build()).build();
  private final ObservationRegistry metered = ObservationRegistry.create();
  private final ObservationRegistry traced = ObservationRegistry.create();
  private final List<RpcServer> exports = new CopyOnWriteArrayList<>();
  private final List<RpcClient> clients = new CopyOnWriteArrayList<>();

  ObservedPeers() {
    for (ObservationRegistry registry : List.of(metered, traced)) {
      registry.observationConfig()
          .observationHandler(new DefaultMeterObservationHandler(meters))
          .observationHandler(new RpcMeterObservationHandler(meters));
    }
    io.opentelemetry.api.trace.Tracer otel = tracerProvider.get("rabbit-rpc-benchmarks");
    OtelCurrentTraceContext current = new OtelCurrentTraceContext();
    OtelTracer tracer = new OtelTracer(otel, current, event -> { }, new OtelBaggageManager(current, List.of(), List.of()));
    OtelPropagator propagator = new OtelPropagator(ContextPropagators.create(W3CTraceContextPropagator.getInstance()), otel);
    traced.observationConfig()
        .observationHandler(new FirstMatchingCompositeObservationHandler(
            new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
            new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
            new DefaultTracingObservationHandler(tracer)))
        .observationHandler(new TraceContextReplyHandler(propagator));
  }

  /**
   * Starts the named peer ({@link #METERED} or {@link #TRACED}): its instrumented server on
   * {@code queue}, with {@code server}'s settings, and its instrumented client, with {@code client}'s.
   *
   * @return the client's proxy of the server
   */
  EchoService start(String peer, RpcClient.Builder server, RpcClient.Builder client, String queue) {
    ObservationRegistry registry = TRACED.equals(peer) ? traced : metered;
    RpcClient servers = RabbitRpcObservation.instrument(server, registry).build();
    clients.add(servers);
    exports.add(servers.export(EchoService.class, new EchoService.Impl(), queue));
    RpcClient calls = RabbitRpcObservation.instrument(client, registry).build();
    clients.add(calls);
    return calls.proxy(EchoService.class, queue);
  }

  @Override
  public void close() {
    for (RpcServer export : exports) {
      export.closeAndDeleteCreatedQueue(); // durable, so it would outlive the run
    }
    for (RpcClient client : clients) {
      client.close();
    }
    tracerProvider.close();
  }
}
