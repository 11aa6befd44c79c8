package dev.rabbitrpc.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.micrometer.DefaultRpcClientObservationConvention;
import dev.rabbitrpc.micrometer.MdcServerInterceptor;
import dev.rabbitrpc.micrometer.ObservationClientInterceptor;
import dev.rabbitrpc.micrometer.ObservationServerInterceptor;
import dev.rabbitrpc.micrometer.RpcClientContext;
import dev.rabbitrpc.micrometer.RpcMeterObservationHandler;
import dev.rabbitrpc.micrometer.TraceContextReplyHandler;
import dev.rabbitrpc.runtime.ClientInterceptor;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.spring.TestServices.Greeter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.propagation.Propagator;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * The Micrometer auto-configuration's conditions, back-off and interceptor order, with Boot's real
 * observation and metrics auto-configurations and no broker: the calls go to a closed port, or are
 * refused by an interceptor bean before they are sent.
 */
class RabbitRpcObservationAutoConfigurationTest {
  private static final AutoConfigurations RPC = AutoConfigurations.of(RabbitAutoConfiguration.class,
      RabbitRpcAutoConfiguration.class, RabbitRpcObservationAutoConfiguration.class);
  private static final AutoConfigurations OBSERVATIONS = AutoConfigurations.of(ObservationAutoConfiguration.class);
  private static final AutoConfigurations METRICS = AutoConfigurations.of(MetricsAutoConfiguration.class,
      SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class);
  /** Boot's OpenTelemetry tracing: the SDK, micrometer-tracing's bridge (its Tracer and Propagator), the tracing handlers. */
  private static final AutoConfigurations TRACING = AutoConfigurations.of(
      org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration.class,
      org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration.class,
      org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration.class);
  private static final String GREET = Greeter.class.getName() + "/greet";

  /** Every context connects (if it does) to a port nothing listens on, never to a broker. */
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withPropertyValues("spring.rabbitmq.host=127.0.0.1", "spring.rabbitmq.port=" + closedPort(),
          "rabbit-rpc.timeout=10s")
      .withConfiguration(RPC)
      .withUserConfiguration(ImportsGreeter.class);

  private static final String[] OBSERVATION_BEANS = {"rabbitRpcObservationClientInterceptor",
      "rabbitRpcObservationServerInterceptor", "rabbitRpcMdcServerInterceptor", "rabbitRpcMeterObservationHandler"};
  private static final String[] METER_BEANS = {"rabbitRpcClientMetrics", "rabbitRpcServerMetrics"};

  @Test
  void observesTheAutoConfiguredClientOnTheContextsRegistryAndBindsItsMeters() {
    runner.withConfiguration(OBSERVATIONS).withConfiguration(METRICS).run(context -> {
      assertThat(context).hasSingleBean(ObservationClientInterceptor.class)
          .hasSingleBean(ObservationServerInterceptor.class).hasSingleBean(MdcServerInterceptor.class)
          .hasSingleBean(RpcMeterObservationHandler.class).hasBean("rabbitRpcClientMetrics")
          .hasBean("rabbitRpcServerMetrics");
      Greeter greeter = context.getBean(Greeter.class);
      assertThatThrownBy(() -> greeter.greet("Ada")).isInstanceOfSatisfying(RpcException.class,
          e -> assertThat(e.code()).isEqualTo(Code.UNAVAILABLE));

      MeterRegistry meters = context.getBean(MeterRegistry.class);
      assertThat(meters.get("rabbit.rpc.client").tag("rpc.method", GREET).tag("rpc.status_code", "UNAVAILABLE")
          .tag("error.type", "UNAVAILABLE").tag("messaging.destination.name", "spring-test-greeter").timer().count())
          .isEqualTo(1);
      // RpcMeterObservationHandler is on Boot's registry, RpcClientMetrics bound to Boot's meter registry.
      assertThat(meters.get("rabbit.rpc.client.in_flight").tag("rpc.method", GREET).gauge().value()).isZero();
      assertThat(meters.get("rabbit.rpc.client.pending").gauge().value()).isZero();
      assertThat(meters.get("rabbit.rpc.client.replies.dropped").functionCounter().count()).isZero();
    });
  }

  @Test
  void theObservationSeesWhatTheApplicationsInterceptorsRefuseAndTheyRunInsideIt() {
    runner.withConfiguration(OBSERVATIONS).withConfiguration(METRICS).withUserConfiguration(OrderedInterceptors.class)
        .run(context -> {
          Greeter greeter = context.getBean(Greeter.class);
          assertThatThrownBy(() -> greeter.greet("Ada")).isInstanceOfSatisfying(RpcException.class,
              e -> assertThat(e.code()).isEqualTo(Code.PERMISSION_DENIED));

          // In @Order order; only the one ordered before OBSERVATION_ORDER runs outside the observation.
          assertThat(context.getBean(OrderedInterceptors.class).seen).containsExactly(
              "outside: no observation", "first: rabbit.rpc.client", "second: rabbit.rpc.client",
              "refusing: rabbit.rpc.client");
          assertThat(context.getBean(MeterRegistry.class).get("rabbit.rpc.client").tag("rpc.method", GREET)
              .tag("rpc.status_code", "PERMISSION_DENIED").timer().count()).isEqualTo(1);
        });
  }

  @Test
  void interceptorBeansAreAddedInOrderWithoutMicrometerToo() {
    runner.withUserConfiguration(OrderedInterceptors.class).run(context -> {
      assertThat(context).doesNotHaveBean(ObservationClientInterceptor.class);
      Greeter greeter = context.getBean(Greeter.class);
      assertThatThrownBy(() -> greeter.greet("Ada")).isInstanceOfSatisfying(RpcException.class,
          e -> assertThat(e.code()).isEqualTo(Code.PERMISSION_DENIED));
      assertThat(context.getBean(OrderedInterceptors.class).seen).containsExactly("outside: no observation",
          "first: no observation", "second: no observation", "refusing: no observation");
    });
  }

  @Test
  void withATracersPropagatorThereIsATraceContextReplyHandler() {
    runner.withConfiguration(OBSERVATIONS).withConfiguration(TRACING).run(context -> {
      assertThat(context).hasSingleBean(Propagator.class).hasSingleBean(TraceContextReplyHandler.class)
          .hasBean("rabbitRpcTraceContextReplyHandler");
    });
  }

  @Test
  void withoutAPropagatorThereIsNoTraceContextReplyHandler() {
    runner.withConfiguration(OBSERVATIONS).withConfiguration(METRICS).run(context -> {
      assertThat(context).doesNotHaveBean(Propagator.class).doesNotHaveBean(TraceContextReplyHandler.class)
          .hasSingleBean(ObservationClientInterceptor.class);
    });
  }

  @Test
  void withoutMicrometerTracingOnTheClassPathTheContextStartsWithoutIt() {
    runner.withConfiguration(OBSERVATIONS).withClassLoader(new FilteredClassLoader("io.micrometer.tracing"))
        .run(context -> {
          assertThat(context).hasNotFailed().doesNotHaveBean("rabbitRpcTraceContextReplyHandler")
              .hasSingleBean(ObservationClientInterceptor.class);
        });
  }

  @Test
  void theApplicationsOwnTraceContextReplyHandlerReplacesOurs() {
    runner.withConfiguration(OBSERVATIONS).withConfiguration(TRACING).withUserConfiguration(OwnReplyHandler.class)
        .run(context -> {
          assertThat(context).hasSingleBean(TraceContextReplyHandler.class).hasBean("ownReplyHandler")
              .doesNotHaveBean("rabbitRpcTraceContextReplyHandler");
        });
  }

  @Test
  void theSwitchTurnsTheTraceContextReplyHandlerOffToo() {
    runner.withConfiguration(OBSERVATIONS).withConfiguration(TRACING)
        .withPropertyValues("rabbit-rpc.observations.enabled=false")
        .run(context -> assertThat(context).hasSingleBean(Propagator.class).doesNotHaveBean(TraceContextReplyHandler.class));
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnReplyHandler {
    @Bean
    TraceContextReplyHandler ownReplyHandler(Propagator propagator) {
      return new TraceContextReplyHandler(propagator);
    }
  }

  @Test
  void withoutAnObservationRegistryOnlyTheMetersAreBound() {
    runner.withConfiguration(METRICS).run(context -> {
      assertThat(context).hasSingleBean(RpcClient.class).doesNotHaveBean(ObservationRegistry.class);
      assertNone(context, OBSERVATION_BEANS);
      assertThat(context).hasBean("rabbitRpcClientMetrics").hasBean("rabbitRpcServerMetrics");
    });
  }

  @Test
  void withoutAMeterRegistryOnlyTheObservationsAreThere() {
    runner.withConfiguration(OBSERVATIONS).run(context -> {
      assertThat(context).hasSingleBean(ObservationClientInterceptor.class)
          .hasSingleBean(ObservationServerInterceptor.class).hasSingleBean(MdcServerInterceptor.class);
      assertNone(context, "rabbitRpcMeterObservationHandler");
      assertNone(context, METER_BEANS);
    });
  }

  @Test
  void withoutRpcMicrometerTheContextStartsWithoutInstrumentation() {
    runner.withConfiguration(OBSERVATIONS).withConfiguration(METRICS)
        .withClassLoader(new FilteredClassLoader("dev.rabbitrpc.micrometer")).run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(RpcClient.class).hasSingleBean(ObservationRegistry.class);
          assertNone(context, OBSERVATION_BEANS);
          assertNone(context, METER_BEANS);
        });
  }

  @Test
  void thePropertySwitchesItAllOff() {
    runner.withConfiguration(OBSERVATIONS).withConfiguration(METRICS)
        .withPropertyValues("rabbit-rpc.observations.enabled=false").run(context -> {
          assertThat(context).hasSingleBean(RpcClient.class);
          assertNone(context, OBSERVATION_BEANS);
          assertNone(context, METER_BEANS);
          assertThatThrownBy(() -> context.getBean(Greeter.class).greet("Ada")).isInstanceOf(RpcException.class);
          assertThat(context.getBean(MeterRegistry.class).find("rabbit.rpc.client").timer()).isNull();
        });
  }

  @Test
  void aConventionBeanReplacesTheDefault() {
    runner.withConfiguration(OBSERVATIONS).withConfiguration(METRICS)
        .withBean(RenamedClientConvention.class).run(context -> {
          assertThatThrownBy(() -> context.getBean(Greeter.class).greet("Ada")).isInstanceOf(RpcException.class);
          MeterRegistry meters = context.getBean(MeterRegistry.class);
          assertThat(meters.get("orders.rpc.client").tag("rpc.method", GREET).tag("rpc.status_code", "UNAVAILABLE")
              .timer().count()).isEqualTo(1);
          assertThat(meters.find("rabbit.rpc.client").timer()).isNull();
        });
  }

  @Test
  void theApplicationsOwnObservationInterceptorsReplaceTheAutoConfiguredOnes() {
    runner.withConfiguration(OBSERVATIONS).withConfiguration(METRICS).withUserConfiguration(OwnObservations.class)
        .run(context -> {
          assertThat(context).hasSingleBean(ObservationClientInterceptor.class)
              .hasSingleBean(ObservationServerInterceptor.class).hasSingleBean(MdcServerInterceptor.class)
              .hasSingleBean(RpcMeterObservationHandler.class);
          assertThat(context).hasBean("ownClientObservation").hasBean("ownServerObservation").hasBean("ownMdc")
              .hasBean("ownMeterHandler");
          assertNone(context, OBSERVATION_BEANS);
        });
  }

  private static void assertNone(AssertableApplicationContext context, String... beanNames) {
    for (String name : beanNames) {
      assertThat(context).doesNotHaveBean(name);
    }
  }

  /** A port nothing listens on: bound, then released. */
  private static int closedPort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ImportRpcClients(types = Greeter.class)
  static class ImportsGreeter {}

  /** Client interceptor beans that record their turn and whether an observation is current; the last refuses. */
  @Configuration(proxyBeanMethods = false)
  static class OrderedInterceptors {
    final List<String> seen = new CopyOnWriteArrayList<>();

    private void record(String name, ObjectProvider<ObservationRegistry> registry) {
      ObservationRegistry observations = registry.getIfAvailable();
      Observation current = observations == null ? null : observations.getCurrentObservation();
      seen.add(name + ": " + (current != null && current.getContext() instanceof RpcClientContext
          ? current.getContext().getName() : "no observation"));
    }

    private ClientInterceptor recording(String name, ObjectProvider<ObservationRegistry> registry) {
      return (call, chain) -> {
        record(name, registry);
        return chain.proceed(call);
      };
    }

    @Bean
    ClientInterceptor refusing(ObjectProvider<ObservationRegistry> registry) {
      return (call, chain) -> {
        record("refusing", registry);
        throw new RpcException(Code.PERMISSION_DENIED, "refused before sending");
      };
    }

    @Bean
    @Order(2)
    ClientInterceptor second(ObjectProvider<ObservationRegistry> registry) {
      return recording("second", registry);
    }

    @Bean
    @Order(1)
    ClientInterceptor first(ObjectProvider<ObservationRegistry> registry) {
      return recording("first", registry);
    }

    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    ClientInterceptor outside(ObjectProvider<ObservationRegistry> registry) {
      return recording("outside", registry);
    }
  }

  static class RenamedClientConvention extends DefaultRpcClientObservationConvention {
    @Override
    public String getName() {
      return "orders.rpc.client";
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnObservations {
    @Bean
    ObservationClientInterceptor ownClientObservation(ObservationRegistry registry) {
      return new ObservationClientInterceptor(registry);
    }

    @Bean
    ObservationServerInterceptor ownServerObservation(ObservationRegistry registry) {
      return new ObservationServerInterceptor(registry);
    }

    @Bean
    MdcServerInterceptor ownMdc() {
      return new MdcServerInterceptor();
    }

    @Bean
    RpcMeterObservationHandler ownMeterHandler(MeterRegistry meters) {
      return new RpcMeterObservationHandler(meters);
    }
  }
}
