package dev.rabbitrpc.runtime;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Consumer;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * A RabbitMQ made of Mockito mocks, for client tests that need no real broker: a channel that takes
 * every publish and consume and never answers, a connection that opens it, a factory that makes
 * the connection. Tests stub more on what they get back.
 */
final class MockedBroker {
  private MockedBroker() {}

  /** An open channel: consumes get a tag, publishes go nowhere. */
  static Channel channel() throws Exception {
    Channel channel = mock(Channel.class);
    when(channel.isOpen()).thenReturn(true);
    when(channel.basicConsume(anyString(), anyBoolean(), any(Consumer.class))).thenReturn("tag");
    return channel;
  }

  /** An open connection to "RabbitMQ" whose every new channel is {@code channel}. */
  static Connection connection(Channel channel) throws Exception {
    Connection connection = mock(Connection.class);
    when(connection.isOpen()).thenReturn(true);
    when(connection.createChannel()).thenReturn(channel);
    when(connection.getServerProperties()).thenReturn(Map.of("product", "RabbitMQ"));
    return connection;
  }

  /** A factory for amqp://mocked/ whose connections are {@code connection}. */
  static ConnectionFactory factory(Connection connection) throws Exception {
    ConnectionFactory factory = mock(ConnectionFactory.class);
    when(factory.getHost()).thenReturn("mocked");
    when(factory.getVirtualHost()).thenReturn("/");
    when(factory.newConnection(any(ExecutorService.class), anyString())).thenReturn(connection);
    return factory;
  }
}
