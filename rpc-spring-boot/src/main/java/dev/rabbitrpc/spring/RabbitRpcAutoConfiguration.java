package dev.rabbitrpc.spring;

import dev.rabbitrpc.runtime.ClientInterceptor;
import dev.rabbitrpc.runtime.Codec;
import dev.rabbitrpc.runtime.ReplyStore;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.ServerInterceptor;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.amqp.autoconfigure.RabbitConnectionDetails;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configuration of rabbit-rpc: one shared {@link RpcClient} on the application's RabbitMQ
 * connection settings, the exports of {@link RpcExport} beans, and (through {@link ImportRpcClients})
 * the proxies' client.
 *
 * <p>It runs after Spring Boot's RabbitMQ auto-configuration, named by class name because its
 * package moved between Boot lines. When that configured a RabbitMQ connection factory
 * ({@code spring.rabbitmq.*}, or the application's own), the client connects with the same
 * settings: a copy of the amqp-client {@code ConnectionFactory} under it (host, port, credentials,
 * virtual host, TLS, heartbeats, timeouts) and Boot's address list. Without Spring AMQP the client
 * uses its own default (localhost). Every bean backs off when the application defines its own.
 * {@link ClientInterceptor} and {@link ServerInterceptor} beans are added to the client; Micrometer
 * observations are {@link RabbitRpcObservationAutoConfiguration}'s, and the reply store of
 * {@code @Deduplicated} services is {@link RabbitRpcReplyStoreAutoConfiguration}'s (or the application's).
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration", // Boot 4
    "org.springframework.boot.autoconfigure.amqp.RabbitAutoConfiguration" // Boot 3
})
@ConditionalOnClass(RpcClient.class)
@EnableConfigurationProperties(RabbitRpcProperties.class)
public class RabbitRpcAutoConfiguration {
  /** For Spring. */
  public RabbitRpcAutoConfiguration() {}

  /**
   * The application's client: {@code rabbit-rpc.*} applied, then the {@link ClientInterceptor} and
   * {@link ServerInterceptor} beans added in their {@code @Order} (or {@link org.springframework.core.Ordered})
   * order, the first seeing a call first and its outcome last; then every
   * {@link RpcClientBuilderCustomizer} in order (the connection customizer first), so interceptors a
   * customizer adds run after (inside) the beans. A {@link Codec} bean replaces the default strict
   * JSON codec. With rpc-micrometer, the observations are interceptor beans too, at
   * {@link RabbitRpcObservationAutoConfiguration#OBSERVATION_ORDER}.
   *
   * @param properties rabbit-rpc's settings
   * @param codec the application's codec, if it defines one
   * @param clientInterceptors the client interceptor beans
   * @param serverInterceptors the server interceptor beans
   * @param customizers the customizers
   * @return the client, closed with the context
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public RpcClient rabbitRpcClient(RabbitRpcProperties properties, ObjectProvider<Codec> codec,
      ObjectProvider<ClientInterceptor> clientInterceptors, ObjectProvider<ServerInterceptor> serverInterceptors,
      ObjectProvider<RpcClientBuilderCustomizer> customizers) {
    RpcClient.Builder builder = RpcClient.builder()
        .timeout(properties.getTimeout())
        .maxInFlight(properties.getMaxInFlight())
        .describable(properties.isDescribable())
        .streamWindow(properties.getStreamWindow())
        .quorumQueues(properties.isQuorumQueues())
        .encoding(properties.getEncoding())
        .shutdownGrace(properties.getShutdownGrace());
    if (properties.getWorkers() != null) {
      builder.workers(properties.getWorkers());
    }
    if (properties.getPrefetch() != null) {
      builder.prefetch(properties.getPrefetch());
    }
    codec.ifAvailable(builder::codec);
    clientInterceptors.orderedStream().forEach(builder::interceptor);
    serverInterceptors.orderedStream().forEach(builder::serverInterceptor);
    customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
    return builder.build();
  }

  /**
   * Exports the {@link RpcExport} beans with the context's start and closes them at its stop.
   *
   * @param client the client that serves them
   * @param beanFactory where the annotated beans are found
   * @param properties rabbit-rpc's settings
   * @param listeners told of each server exported, in order
   * @param replyStore the reply store of services with {@code @Deduplicated} methods, if the context has one
   *     ({@link RabbitRpcReplyStoreAutoConfiguration})
   * @return the lifecycle of the exports
   */
  @Bean
  @ConditionalOnMissingBean
  RpcExporter rabbitRpcExporter(RpcClient client, ListableBeanFactory beanFactory, RabbitRpcProperties properties,
      ObjectProvider<ExportListener> listeners, ObjectProvider<ReplyStore> replyStore) {
    return new RpcExporter(client, beanFactory, properties, listeners.orderedStream().toList(), replyStore::getIfAvailable);
  }

  /** The connection from Spring Boot's RabbitMQ auto-configuration (or the application's connection factory). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {
      "org.springframework.amqp.rabbit.connection.AbstractConnectionFactory",
      "org.springframework.boot.amqp.autoconfigure.RabbitConnectionDetails"
  })
  @ConditionalOnBean(type = "org.springframework.amqp.rabbit.connection.ConnectionFactory")
  static class BootConnectionConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "rabbitRpcConnectionCustomizer")
    BootConnectionCustomizer rabbitRpcConnectionCustomizer(
        org.springframework.amqp.rabbit.connection.ConnectionFactory connectionFactory,
        ObjectProvider<RabbitConnectionDetails> connectionDetails) {
      return new BootConnectionCustomizer(connectionFactory, connectionDetails.getIfAvailable());
    }
  }
}
