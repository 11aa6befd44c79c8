package dev.rabbitrpc.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.spring.TestServices.FriendlyGreeter;
import dev.rabbitrpc.spring.TestServices.Greeter;
import dev.rabbitrpc.spring.TestServices.NotAService;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.AbstractConnectionFactory;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/** The auto-configuration's conditions and back-off, without a broker. */
class RabbitRpcAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(
          RabbitAutoConfiguration.class, RabbitRpcAutoConfiguration.class, RabbitRpcHealthAutoConfiguration.class));

  @Test
  void connectsWithSpringRabbitmqSettings() {
    runner.withPropertyValues("spring.rabbitmq.host=broker.example", "spring.rabbitmq.port=5673",
        "spring.rabbitmq.virtual-host=orders").run(context -> {
          assertThat(context).hasSingleBean(RpcClient.class);
          assertThat(context.getBean(RpcClient.class).toString()).contains("amqp://broker.example:5673/orders");
        });
  }

  @Test
  void connectsToEveryAddressOfSpringRabbitmqAddresses() {
    runner.withPropertyValues("spring.rabbitmq.addresses=rabbit1:5672,rabbit2:5673").run(context ->
        assertThat(context.getBean(RpcClient.class).toString()).contains("rabbit1:5672,rabbit2:5673"));
  }

  @Test
  void connectsWithTheApplicationsOwnSpringAmqpConnectionFactory() {
    runner.withUserConfiguration(OwnSpringAmqpConnection.class).run(context ->
        assertThat(context.getBean(RpcClient.class).toString()).contains("amqp://own.example:5679/"));
  }

  @Test
  void appliesRabbitRpcProperties() {
    runner.withPropertyValues("rabbit-rpc.timeout=5s").run(context ->
        assertThat(context.getBean(RpcClient.class).timeout()).isEqualTo(Duration.ofSeconds(5)));
  }

  @Test
  void bindsTheDescribeAndStreamSettings() {
    runner.withPropertyValues("rabbit-rpc.describable=false", "rabbit-rpc.stream-window=8").run(context -> {
      RabbitRpcProperties properties = context.getBean(RabbitRpcProperties.class);
      assertThat(properties.isDescribable()).isFalse();
      assertThat(properties.getStreamWindow()).isEqualTo(8);
      assertThat(context).hasSingleBean(RpcClient.class);
    });
    runner.withPropertyValues("rabbit-rpc.stream-window=0").run(context ->
        assertThat(context).getFailure().hasRootCauseMessage("streamWindow must be between 1 and 1,000,000 items: 0"));
  }

  @Test
  void choosesTheEncodingFromTheProperties() {
    runner.run(context ->
        assertThat(context.getBean(RpcClient.class).encoding()).isEqualTo(dev.rabbitrpc.api.Encoding.JSON));
    runner.withPropertyValues("rabbit-rpc.encoding=cbor").run(context ->
        assertThat(context.getBean(RpcClient.class).encoding()).isEqualTo(dev.rabbitrpc.api.Encoding.CBOR));
  }

  @Test
  void failsToStartWithAnInvalidSetting() {
    runner.withPropertyValues("rabbit-rpc.prefetch=0").run(context ->
        assertThat(context).getFailure().rootCause().hasMessageContaining("prefetch must be between 1 and 65535"));
  }

  @Test
  void customizersRunInOrderAfterTheProperties() {
    runner.withPropertyValues("rabbit-rpc.timeout=5s").withUserConfiguration(Customizers.class).run(context ->
        assertThat(context.getBean(RpcClient.class).timeout()).isEqualTo(Duration.ofSeconds(9)));
  }

  @Test
  void backsOffWhenTheApplicationDefinesItsClient() {
    runner.withUserConfiguration(OwnClient.class).run(context -> {
      assertThat(context).hasSingleBean(RpcClient.class);
      assertThat(context.getBean(RpcClient.class).timeout()).isEqualTo(Duration.ofSeconds(3));
    });
  }

  @Test
  void withoutSpringAmqpUsesTheRuntimesDefaultBroker() {
    runner.withClassLoader(new FilteredClassLoader(AbstractConnectionFactory.class)).run(context -> {
      assertThat(context).doesNotHaveBean("rabbitRpcConnectionCustomizer");
      assertThat(context.getBean(RpcClient.class).toString()).contains("amqp://localhost:5672/");
    });
  }

  @Test
  void configuresNothingWithoutTheRuntime() {
    runner.withClassLoader(new FilteredClassLoader(RpcClient.class)).run(context ->
        assertThat(context).doesNotHaveBean(RpcClient.class).doesNotHaveBean("rabbitRpcHealthIndicator"));
  }

  @Test
  void contributesHealthOnlyWithHealthSupportAndWhenEnabled() {
    runner.run(context -> assertThat(context).hasBean("rabbitRpcHealthIndicator"));
    runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class)).run(context ->
        assertThat(context).hasSingleBean(RpcClient.class).doesNotHaveBean("rabbitRpcHealthIndicator"));
    runner.withPropertyValues("management.health.rabbitRpc.enabled=false").run(context ->
        assertThat(context).doesNotHaveBean("rabbitRpcHealthIndicator"));
  }

  @Test
  void healthIsUnknownWhileNothingUsesTheClient() {
    runner.run(context -> assertThat(health(context.getBean("rabbitRpcHealthIndicator", HealthIndicator.class)))
        .isEqualTo(Status.UNKNOWN));
  }

  @Test
  void healthIsDownWhileTheBrokerIsUnreachable() throws IOException {
    runner.withPropertyValues("spring.rabbitmq.host=127.0.0.1", "spring.rabbitmq.port=" + closedPort())
        .withUserConfiguration(ImportsGreeter.class).run(context -> {
          assertThat(context.getBean(Greeter.class)).matches(bean -> Proxy.isProxyClass(bean.getClass()), "is a proxy");
          assertThat(health(context.getBean("rabbitRpcHealthIndicator", HealthIndicator.class)))
              .isEqualTo(Status.DOWN);
        });
  }

  @Test
  void importedProxiesArePrimaryOverAnImplementationInTheSameContext() throws IOException {
    runner.withPropertyValues("spring.rabbitmq.host=127.0.0.1", "spring.rabbitmq.port=" + closedPort())
        .withUserConfiguration(ImportsGreeter.class).withBean(LocalGreeter.class)
        .run(context -> assertThat(context.getBean(Greeter.class))
            .matches(bean -> Proxy.isProxyClass(bean.getClass()), "is a proxy"));
  }

  @Test
  void anExportFailsTheStartWhileTheBrokerIsUnreachable() throws IOException {
    runner.withPropertyValues("spring.rabbitmq.host=127.0.0.1", "spring.rabbitmq.port=" + closedPort())
        .withBean(FriendlyGreeter.class)
        .run(context -> assertThat(rpcCause(context.getStartupFailure()).code()).isEqualTo(RpcException.Code.UNAVAILABLE));
  }

  @Test
  void importScansTheImportingPackageForServiceInterfaces() throws IOException {
    runner.withPropertyValues("spring.rabbitmq.host=127.0.0.1", "spring.rabbitmq.port=" + closedPort())
        .withUserConfiguration(ImportsPackage.class)
        .run(context -> assertThat(context).hasBean(Greeter.class.getName()).hasBean(TestServices.Slow.class.getName()));
  }

  @Test
  void anExportThatImplementsNoServiceFailsTheStartNamingTheBean() {
    runner.withBean("notAService", NotAService.class).run(context ->
        assertThat(context).getFailure().rootCause()
            .hasMessageContaining("bean 'notAService'").hasMessageContaining("implements no @RpcService interface"));
  }

  @Test
  void anExportOnABeanMethodIsFoundToo() {
    runner.withUserConfiguration(ExportsFromBeanMethod.class).run(context ->
        assertThat(context).getFailure().rootCause()
            .hasMessageContaining("bean 'runnable'").hasMessageContaining("implements no @RpcService interface"));
  }

  private static RpcException rpcCause(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof RpcException) {
        return (RpcException) cause;
      }
    }
    throw new AssertionError("no RpcException in the cause chain of " + failure, failure);
  }

  private static Status health(HealthIndicator indicator) {
    return indicator.health().getStatus();
  }

  /** A port nothing listens on: bound, then released. */
  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** An implementation that is not exported. */
  static final class LocalGreeter implements Greeter {
    @Override
    public String greet(String name) {
      return "local";
    }

    @Override
    public TestServices.Greeting formal(String name) {
      return new TestServices.Greeting(name, "local");
    }

    @Override
    public java.util.concurrent.CompletableFuture<String> greetLater(String name) {
      return java.util.concurrent.CompletableFuture.completedFuture("local");
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class Customizers {
    @Bean
    @Order(2)
    RpcClientBuilderCustomizer nineSeconds() {
      return builder -> builder.timeout(Duration.ofSeconds(9));
    }

    @Bean
    @Order(1)
    RpcClientBuilderCustomizer sevenSeconds() {
      return builder -> builder.timeout(Duration.ofSeconds(7));
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class ExportsFromBeanMethod {
    @Bean
    @RpcExport
    Runnable runnable() {
      return () -> { };
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnSpringAmqpConnection {
    @Bean(destroyMethod = "destroy")
    org.springframework.amqp.rabbit.connection.CachingConnectionFactory ownConnectionFactory() {
      return new org.springframework.amqp.rabbit.connection.CachingConnectionFactory("own.example", 5679);
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnClient {
    @Bean(destroyMethod = "close")
    RpcClient ownClient() {
      return RpcClient.builder().timeout(Duration.ofSeconds(3)).build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ImportRpcClients(types = Greeter.class)
  static class ImportsGreeter {}

  @Configuration(proxyBeanMethods = false)
  @ImportRpcClients
  static class ImportsPackage {}
}
