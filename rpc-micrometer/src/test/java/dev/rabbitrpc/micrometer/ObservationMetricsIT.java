package dev.rabbitrpc.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The meters a real call through the real broker leaves in a SimpleMeterRegistry. */
@RpcBrokerTest
class ObservationMetricsIT {
  private final RpcBroker broker;
  private final String queue;
  private final MeterRegistry meters = new SimpleMeterRegistry();
  private final ObservationRegistry observations = ObservationRegistry.create();

  ObservationMetricsIT(RpcBroker broker) {
    this.broker = broker;
    this.queue = broker.uniqueQueue("micrometer");
    broker.deleteAfterTest(queue);
    observations.observationConfig()
        .observationHandler(new DefaultMeterObservationHandler(meters))
        .observationHandler(new RpcMeterObservationHandler(meters));
  }

  private RpcClient instrumented() {
    return broker.newClient(builder -> RabbitRpcObservation.instrument(builder, observations));
  }

  private Tags tags(String method, String status, String errorType) {
    return Tags.of("rpc.system.name", "rabbit_rpc", "rpc.method", Greeter.class.getName() + "/" + method,
        "rpc.status_code", status, "error.type", errorType, "messaging.system", "rabbitmq",
        "messaging.destination.name", queue);
  }

  @Test
  void timesClientAndServerCallsByMethodAndStatus() {
    RpcClient client = instrumented();
    client.export(Greeter.class, new Greeter.Impl(), queue);
    Greeter greeter = client.proxy(Greeter.class, queue);

    assertEquals("hello a", greeter.greet("a"));
    assertEquals("hello b", greeter.greet("b"));
    RpcException refused = assertThrows(RpcException.class, () -> greeter.refuse("c"));
    assertEquals(Code.INVALID_ARGUMENT, refused.code());

    for (String side : new String[] {"rabbit.rpc.client", "rabbit.rpc.server"}) {
      assertEquals(2, meters.get(side).tags(tags("greet", "OK", "none")).timer().count(), side);
      assertEquals(1, meters.get(side).tags(tags("refuse", "INVALID_ARGUMENT", "INVALID_ARGUMENT")).timer().count(),
          side);
    }
    assertEquals(0, meters.get("rabbit.rpc.client.in_flight").tag("rpc.method", Greeter.class.getName() + "/greet")
        .gauge().value());
    assertEquals(0, meters.get("rabbit.rpc.server.in_flight").tag("rpc.method", Greeter.class.getName() + "/greet")
        .gauge().value());
  }

  @dev.rabbitrpc.api.RpcService(queue = "micrometer-stream")
  public interface Counter {
    java.util.stream.Stream<Integer> upTo(int count);
  }

  @Test
  void aStreamIsOneObservationPerSideThatRecordsItsItemCount() throws Exception {
    java.util.List<String> stopped = new java.util.concurrent.CopyOnWriteArrayList<>();
    observations.observationConfig().observationHandler(new io.micrometer.observation.ObservationHandler<>() {
      @Override
      public boolean supportsContext(io.micrometer.observation.Observation.Context context) {
        return context instanceof RpcClientContext || context instanceof RpcServerContext;
      }

      @Override
      public void onStop(io.micrometer.observation.Observation.Context context) {
        stopped.add(context.getName() + " " + context.getHighCardinalityKeyValue("rpc.stream.items").getValue());
      }
    });
    RpcClient client = instrumented();
    client.export(Counter.class, count -> java.util.stream.IntStream.range(0, count).boxed(), queue);
    try (java.util.stream.Stream<Integer> items = client.proxy(Counter.class, queue).upTo(25)) {
      assertEquals(25, items.count());
    }
    Greeter.await(Duration.ofSeconds(10), "both sides' observations", () -> stopped.size() == 2);
    assertEquals(java.util.Set.of("rabbit.rpc.client 25", "rabbit.rpc.server 25"), java.util.Set.copyOf(stopped));
    for (String side : new String[] {"rabbit.rpc.client", "rabbit.rpc.server"}) {
      assertEquals(1, meters.get(side).tag("rpc.method", Counter.class.getName() + "/upTo").timer().count(), side);
    }
  }

  @Test
  void namesTheTimersAsTheOpenTelemetryRpcConventionsWhenAskedTo() {
    RpcClient client = broker.newClient(builder -> builder
        .interceptor(new ObservationClientInterceptor(observations, OpenTelemetryRpcClientObservationConvention.INSTANCE))
        .serverInterceptor(
            new ObservationServerInterceptor(observations, OpenTelemetryRpcServerObservationConvention.INSTANCE)));
    client.export(Greeter.class, new Greeter.Impl(), queue);
    Greeter greeter = client.proxy(Greeter.class, queue);

    greeter.greet("a");
    assertThrows(RpcException.class, () -> greeter.refuse("b"));

    String greet = Greeter.class.getName() + "/greet";
    String refuse = Greeter.class.getName() + "/refuse";
    for (String name : new String[] {"rpc.client.call.duration", "rpc.server.call.duration"}) {
      assertEquals(1, meters.get(name).tags("rpc.system.name", "rabbit_rpc", "rpc.method", greet,
          "rpc.response.status_code", "OK").timer().count(), name);
      assertEquals(1, meters.get(name).tags("rpc.method", refuse, "rpc.response.status_code", "INVALID_ARGUMENT",
          "error.type", "INVALID_ARGUMENT").timer().count(), name);
    }
  }

  @Test
  void countsEachRetryOfAnIdempotentCall() throws Exception {
    RpcClient client = instrumented();
    // Nothing serves the queue yet: the attempts come back unroutable and are retried.
    CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> client.proxy(Greeter.class, queue).lookup("k"));
    Greeter.await(Duration.ofSeconds(10), "a retry", () -> meters.find("rabbit.rpc.client.retries").counter() != null);
    client.export(Greeter.class, new Greeter.Impl(), queue);

    assertEquals("value of k", call.get(20, TimeUnit.SECONDS));
    double retries = meters.get("rabbit.rpc.client.retries").tags("rpc.method", Greeter.class.getName() + "/lookup",
        "messaging.destination.name", queue).counter().count();
    double unavailable = meters.get("rabbit.rpc.client").tag("rpc.status_code", "UNAVAILABLE").timer().count();
    assertEquals(unavailable, retries, "every attempt after the first follows an UNAVAILABLE one");
  }

  @Test
  void countsTheRequestsAServerSkippedAndTheRepliesAClientDropped() throws Exception {
    RpcClient server = broker.newClient(builder -> RabbitRpcObservation.instrument(builder, observations)
        .workers(1).prefetch(2));
    RpcServer exported = server.export(Greeter.class, new Greeter.Impl(), queue);
    new RpcServerMetrics(exported).bindTo(meters);
    RpcClient patient = broker.newClient();
    RpcClient hasty = broker.newClient(builder -> builder.timeout(Duration.ofMillis(300)));
    new RpcClientMetrics(hasty, Tags.of("client", "hasty")).bindTo(meters);

    // The one worker is busy for 1.5 s; the hasty call waits behind it (delivered, prefetch 2) and expires.
    CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> patient.proxy(Greeter.class, queue).slow(1500));
    Greeter.await(Duration.ofSeconds(10), "the slow call to run", () -> {
      var inFlight = meters.find("rabbit.rpc.server.in_flight").tag("rpc.method", Greeter.class.getName() + "/slow")
          .gauge();
      return inFlight != null && inFlight.value() == 1;
    });
    RpcException late = assertThrows(RpcException.class, () -> hasty.proxy(Greeter.class, queue).greet("late"));
    assertEquals(Code.DEADLINE_EXCEEDED, late.code());
    assertEquals("slept 1500", slow.get(10, TimeUnit.SECONDS));

    Greeter.await(Duration.ofSeconds(10), "the skipped request to be counted", () -> meters
        .get("rabbit.rpc.server.requests.expired").tag("messaging.destination.name", queue).functionCounter()
        .count() == 1);
    Greeter.await(Duration.ofSeconds(10), "the late reply to be counted", () -> meters
        .get("rabbit.rpc.client.replies.dropped").tag("client", "hasty").functionCounter().count() == 1);
    assertEquals(0, meters.get("rabbit.rpc.server.requests.cancelled").functionCounter().count());
    for (String reason : new String[] {"too_large", "unknown_method", "unreadable"}) {
      assertEquals(0, meters.get("rabbit.rpc.server.requests.rejected").tag("messaging.destination.name", queue)
          .tag("reason", reason).functionCounter().count(), reason);
    }
    assertEquals(0, meters.get("rabbit.rpc.client.pending").tag("client", "hasty").gauge().value());
  }
}
