package dev.rabbitrpc.spring;

import com.rabbitmq.client.ConnectionFactory;

/**
 * The RabbitMQ the Spring tests use: {@code RPC_AMQP_URI} (as the other modules' tests), else
 * guest/guest on 127.0.0.1:5672. Its credentials and virtual host are the defaults' (guest/guest,
 * {@code /}) whatever the URI says: the tests' raw connections use amqp-client's defaults.
 */
final class RabbitMqBroker {
  static final String HOST;
  static final int PORT;

  static {
    String uri = System.getenv("RPC_AMQP_URI");
    ConnectionFactory factory = new ConnectionFactory();
    if (uri != null && !uri.isBlank()) {
      try {
        factory.setUri(uri.trim());
      } catch (Exception e) {
        throw new IllegalStateException("RPC_AMQP_URI is not an AMQP URI: " + e.getMessage(), e);
      }
      HOST = factory.getHost();
      PORT = factory.getPort();
    } else {
      HOST = "127.0.0.1";
      PORT = 5672;
    }
  }

  private RabbitMqBroker() {}
}
