package dev.rabbitrpc.spring;

import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.runtime.RpcClient;
import java.util.List;
import org.springframework.amqp.rabbit.connection.AbstractConnectionFactory;
import org.springframework.boot.amqp.autoconfigure.RabbitConnectionDetails;
import org.springframework.core.Ordered;

/**
 * Points the client at the broker Spring Boot's RabbitMQ auto-configuration (or the application's
 * Spring AMQP connection factory) connects to: no second set of connection settings. Runs first of
 * the {@link RpcClientBuilderCustomizer}s.
 */
final class BootConnectionCustomizer implements RpcClientBuilderCustomizer, Ordered {
  /** Like the runtime's own factories: amqp-client's 5 s default delays recovery; calls fail fast meanwhile. */
  private static final long RECOVERY_INTERVAL_MILLIS = 1_000;

  private final org.springframework.amqp.rabbit.connection.ConnectionFactory springFactory;
  private final RabbitConnectionDetails details;

  BootConnectionCustomizer(org.springframework.amqp.rabbit.connection.ConnectionFactory springFactory,
      RabbitConnectionDetails details) {
    this.springFactory = springFactory;
    this.details = details;
  }

  @Override
  public void customize(RpcClient.Builder builder) {
    if (!(springFactory instanceof AbstractConnectionFactory)) {
      throw new IllegalStateException("rabbit-rpc takes its connection settings from Spring AMQP's connection factory,"
          + " but " + springFactory.getClass().getName() + " does not expose an amqp-client ConnectionFactory;"
          + " define an RpcClient bean of your own");
    }
    builder.connectionFactory(amqpFactory(((AbstractConnectionFactory) springFactory).getRabbitConnectionFactory()));
    // Boot puts spring.rabbitmq.addresses on its caching factory, not on the amqp-client factory (which has the first).
    List<RabbitConnectionDetails.Address> addresses = details == null ? List.of() : details.getAddresses();
    if (addresses.size() > 1) {
      builder.addresses(addresses.stream().map(address -> address.host() + ":" + address.port()).toArray(String[]::new));
    }
  }

  /**
   * A copy, so that the client's connection is its own and Spring AMQP's factory stays as it is,
   * with amqp-client's automatic recovery on: Spring AMQP turns it off because its caching factory
   * reconnects by itself, while rabbit-rpc relies on it (docs/RELIABILITY.md).
   */
  static ConnectionFactory amqpFactory(ConnectionFactory configured) {
    ConnectionFactory copy = configured.clone();
    copy.setAutomaticRecoveryEnabled(true);
    copy.setTopologyRecoveryEnabled(true);
    copy.setNetworkRecoveryInterval(RECOVERY_INTERVAL_MILLIS);
    return copy;
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }
}
