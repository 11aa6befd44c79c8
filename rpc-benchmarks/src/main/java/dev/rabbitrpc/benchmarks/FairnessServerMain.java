package dev.rabbitrpc.benchmarks;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A server process of the fairness scenario ({@link Fairness}) and of the scaling scenarios
 * ({@link Scaling}), spawned by the harness ({@link ChildJvm}): it serves the queue until its
 * standard input closes (the parent ends it so), then exits.
 *
 * <p>Arguments: {@code kind uri queue id [workers prefetch]}. {@code rabbit-rpc}: an
 * {@link RpcServer} of {@link FairService} at rabbit-rpc's defaults, or with the given workers and
 * prefetch. {@code tutorial}: RabbitMQ tutorial 6's server written by hand: one channel, the given
 * prefetch, the handler and its reply in the consumer callback; a request body {@code slow} takes
 * {@link FairService#SLOW_MILLIS} ms, the reply body is the server's id. {@code scaling}: an
 * {@link RpcServer} of {@link ScalingService} with arguments {@code workers prefetch slowdown}. It
 * prints {@link ChildJvm#READY} once it consumes.
 */
public final class FairnessServerMain {
  static final byte[] SLOW = "slow".getBytes(StandardCharsets.US_ASCII);

  private FairnessServerMain() {}

  /** Entry point of the child JVM. */
  public static void main(String[] args) throws Exception {
    String kind = args[0];
    String uri = args[1];
    String queue = args[2];
    String id = args[3];
    if (kind.equals("scaling")) {
      RpcClient.Builder builder = RpcClient.builder().uri(uri).connectionName("bench scaling " + id)
          .workers(Integer.parseInt(args[4])).prefetch(Integer.parseInt(args[5]));
      try (RpcClient client = builder.build()) {
        RpcServer server = client.export(ScalingService.class, new ScalingService.Impl(id, Integer.parseInt(args[6])),
            queue);
        ChildJvm.readyUntilStopped();
        server.close();
      }
    } else if (kind.equals("rabbit-rpc")) {
      RpcClient.Builder builder = RpcClient.builder().uri(uri).connectionName("bench fairness " + id);
      if (args.length > 5) {
        builder.workers(Integer.parseInt(args[4])).prefetch(Integer.parseInt(args[5]));
      }
      try (RpcClient client = builder.build()) {
        RpcServer server = client.export(FairService.class, new FairService.Impl(id), queue);
        ChildJvm.readyUntilStopped();
        server.close();
      }
    } else {
      ConnectionFactory factory = new ConnectionFactory();
      factory.setUri(uri);
      try (Connection connection = factory.newConnection("bench fairness " + id)) {
        Channel channel = connection.createChannel();
        channel.basicQos(Integer.parseInt(args[4]));
        byte[] reply = id.getBytes(StandardCharsets.UTF_8);
        channel.basicConsume(queue, false, new DefaultConsumer(channel) {
          @Override
          public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
              throws IOException {
            if (java.util.Arrays.equals(body, SLOW)) {
              FairService.pause();
            }
            channel.basicPublish("", properties.getReplyTo(),
                new AMQP.BasicProperties.Builder().correlationId(properties.getCorrelationId()).build(), reply);
            channel.basicAck(envelope.getDeliveryTag(), false);
          }
        });
        ChildJvm.readyUntilStopped();
      }
    }
  }
}
