package dev.rabbitrpc.spring;

import dev.rabbitrpc.micrometer.MdcServerInterceptor;
import dev.rabbitrpc.micrometer.ObservationClientInterceptor;
import dev.rabbitrpc.micrometer.ObservationServerInterceptor;
import dev.rabbitrpc.micrometer.RpcClientMetrics;
import dev.rabbitrpc.micrometer.RpcClientObservationConvention;
import dev.rabbitrpc.micrometer.RpcMeterObservationHandler;
import dev.rabbitrpc.micrometer.RpcServerMetrics;
import dev.rabbitrpc.micrometer.RpcServerObservationConvention;
import dev.rabbitrpc.micrometer.TraceContextReplyHandler;
import dev.rabbitrpc.runtime.RpcClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.propagation.Propagator;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Instruments the auto-configured {@link RpcClient} with rpc-micrometer, when it is on the class path
 * and {@code rabbit-rpc.observations.enabled} is not false.
 *
 * <p>With an {@link ObservationRegistry} bean (Spring Boot's observation auto-configuration, e.g. with
 * Actuator, makes one): an {@link ObservationClientInterceptor} and an
 * {@link ObservationServerInterceptor} on that registry, and an {@link MdcServerInterceptor}, as
 * interceptor beans at {@link #OBSERVATION_ORDER} (the MDC just after), which
 * {@link RabbitRpcAutoConfiguration} adds to the client with the application's own interceptor beans.
 * An {@link RpcClientObservationConvention} or {@link RpcServerObservationConvention} bean replaces the
 * default convention; without one, the registry's global conventions apply, else the defaults. Each
 * interceptor bean backs off when the application defines one of the same class.
 *
 * <p>With a micrometer-tracing {@link Propagator} bean as well (Boot's tracing auto-configuration makes
 * one, e.g. with micrometer-tracing's OpenTelemetry bridge): a {@link TraceContextReplyHandler} on it,
 * so that every reply carries the server span's {@code traceparent} (and {@code tracestate}). Boot
 * registers handler beans that are not tracing or meter handlers after those groups, so it runs after
 * the tracing handlers that make the span it writes. It backs off when the application defines one.
 *
 * <p>With a {@link MeterRegistry} bean as well: an {@link RpcMeterObservationHandler} (in-flight gauges
 * and the retry counter; Boot's observation auto-configuration registers handler beans on its
 * registry, beside its timers' {@code DefaultMeterObservationHandler}). With a {@link MeterRegistry}
 * bean, observations or not: {@link RpcClientMetrics} of the client as a {@link MeterBinder} bean
 * (Boot binds those), and {@link RpcServerMetrics} bound to the registry for every server the
 * context exports, as it is exported.
 *
 * <p>Boot's auto-configurations are named by class name, Boot 4's and Boot 3's, as in
 * {@link RabbitRpcAutoConfiguration}; rpc-micrometer's classes are named in annotations only, so this
 * class is never loaded without them.
 */
@AutoConfiguration(after = RabbitRpcAutoConfiguration.class, afterName = {
    "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration", // Boot 4
    "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    // The tracer's Propagator, Boot 4's and Boot 3's, for TraceContextReplyHandler.
    "org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration",
    "org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration",
    "org.springframework.boot.micrometer.tracing.brave.autoconfigure.BraveAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.tracing.MicrometerTracingAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.tracing.OpenTelemetryAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.tracing.BraveAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.observation.ObservationAutoConfiguration", // Boot 3
    "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration"
})
@ConditionalOnClass({RpcClient.class, ObservationClientInterceptor.class, ObservationRegistry.class, MeterRegistry.class})
@ConditionalOnProperty(prefix = "rabbit-rpc.observations", name = "enabled", havingValue = "true", matchIfMissing = true)
public class RabbitRpcObservationAutoConfiguration {
  /**
   * The {@code @Order} of the observation interceptor beans, client and server: near the front, so
   * the observations see everything the application's interceptor beans do (the headers they check,
   * the calls and requests they refuse, the time they take), and those run inside the observation
   * (its span current, the MDC set). An application interceptor that must run outside the
   * observations (e.g. to observe what it adds on the client) takes a smaller order.
   */
  public static final int OBSERVATION_ORDER = Ordered.HIGHEST_PRECEDENCE + 1000;

  /** The {@code @Order} of the {@link MdcServerInterceptor} bean: just inside the server's observation. */
  public static final int MDC_ORDER = OBSERVATION_ORDER + 1;

  /** For Spring. */
  public RabbitRpcObservationAutoConfiguration() {}

  /** The observations and the MDC, on the context's observation registry. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBean(ObservationRegistry.class)
  static class ObservationConfiguration {
    @Bean
    @Order(OBSERVATION_ORDER)
    @ConditionalOnMissingBean
    ObservationClientInterceptor rabbitRpcObservationClientInterceptor(ObservationRegistry registry,
        ObjectProvider<RpcClientObservationConvention> convention) {
      return new ObservationClientInterceptor(registry, convention.getIfAvailable());
    }

    @Bean
    @Order(OBSERVATION_ORDER)
    @ConditionalOnMissingBean
    ObservationServerInterceptor rabbitRpcObservationServerInterceptor(ObservationRegistry registry,
        ObjectProvider<RpcServerObservationConvention> convention) {
      return new ObservationServerInterceptor(registry, convention.getIfAvailable());
    }

    @Bean
    @Order(MDC_ORDER)
    @ConditionalOnMissingBean
    MdcServerInterceptor rabbitRpcMdcServerInterceptor() {
      return new MdcServerInterceptor();
    }

    @Bean
    @ConditionalOnBean(MeterRegistry.class)
    @ConditionalOnMissingBean
    RpcMeterObservationHandler rabbitRpcMeterObservationHandler(MeterRegistry meters) {
      return new RpcMeterObservationHandler(meters);
    }
  }

  /**
   * Trace context on replies, with the context's tracer {@link Propagator} (micrometer-tracing is an
   * optional dependency of rpc-micrometer: named by class name, so nothing here loads without it).
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.tracing.propagation.Propagator")
  @ConditionalOnBean(type = {"io.micrometer.observation.ObservationRegistry", "io.micrometer.tracing.propagation.Propagator"})
  static class TraceContextConfiguration {
    @Bean
    @ConditionalOnMissingBean
    TraceContextReplyHandler rabbitRpcTraceContextReplyHandler(Propagator propagator) {
      return new TraceContextReplyHandler(propagator);
    }
  }

  /** The client's and the exported servers' own counts, on the context's meter registry. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBean({MeterRegistry.class, RpcClient.class})
  static class MeterConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "rabbitRpcClientMetrics")
    MeterBinder rabbitRpcClientMetrics(RpcClient client) {
      return new RpcClientMetrics(client);
    }

    @Bean
    @ConditionalOnMissingBean(name = "rabbitRpcServerMetrics")
    ExportListener rabbitRpcServerMetrics(MeterRegistry meters) {
      return server -> new RpcServerMetrics(server).bindTo(meters);
    }
  }
}
