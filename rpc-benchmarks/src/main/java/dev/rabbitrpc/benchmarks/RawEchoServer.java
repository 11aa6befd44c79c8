package dev.rabbitrpc.benchmarks;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * The raw baseline's server, written by hand as RabbitMQ's RPC tutorial does: one channel, manual
 * acknowledgement with a prefetch equal to rabbit-rpc's default worker count, and the reply
 * published straight from the consumer callback with the request's correlation id. No JSON: the
 * request body goes back unchanged.
 */
final class RawEchoServer implements AutoCloseable {
  private final Channel channel;
  private final String queue;

  RawEchoServer(Connection connection, String queue, int prefetch) throws IOException {
    this.queue = queue;
    channel = connection.createChannel();
    channel.queueDeclare(queue, false, true, true, null); // exclusive: RabbitMQ 4.3 refuses transient shared queues
    channel.basicQos(prefetch);
    channel.basicConsume(queue, false, new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
          throws IOException {
        AMQP.BasicProperties reply = new AMQP.BasicProperties.Builder()
            .correlationId(properties.getCorrelationId())
            .build();
        channel.basicPublish("", properties.getReplyTo(), reply, body);
        channel.basicAck(envelope.getDeliveryTag(), false);
      }
    });
  }

  String queue() {
    return queue;
  }

  @Override
  public void close() throws IOException, TimeoutException {
    if (channel.isOpen()) {
      channel.close();
    }
  }
}
