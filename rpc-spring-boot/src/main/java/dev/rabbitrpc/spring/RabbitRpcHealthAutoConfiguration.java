package dev.rabbitrpc.spring;

import dev.rabbitrpc.runtime.RpcClient;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code rabbitRpc} health contributor, when Spring Boot's health support (Actuator) is present
 * and {@code management.health.rabbitRpc.enabled} is not false. It backs off when the application
 * defines a bean named {@code rabbitRpcHealthIndicator}.
 */
@AutoConfiguration(after = RabbitRpcAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
@ConditionalOnBean(RpcClient.class)
@ConditionalOnEnabledHealthIndicator("rabbitRpc")
public class RabbitRpcHealthAutoConfiguration {
  /** For Spring. */
  public RabbitRpcHealthAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean(name = "rabbitRpcHealthIndicator")
  HealthIndicator rabbitRpcHealthIndicator(RpcClient client, ObjectProvider<RpcExporter> exporter,
      ConfigurableListableBeanFactory beanFactory) {
    return new RabbitRpcHealthIndicator(client, exporter.getIfAvailable(), beanFactory);
  }
}
