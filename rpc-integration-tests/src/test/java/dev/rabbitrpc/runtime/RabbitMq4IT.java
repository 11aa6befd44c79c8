package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The suite also runs on RabbitMQ 4.3 (the failsafe execution {@code it-rabbitmq4}, on the node of
 * {@code .ci/rabbitmq-4.sh}), when {@code RPC_RABBITMQ4_URI} names it. Without it this test says
 * why the 4.3 run is skipped, and fails in CI ({@code CI=true}), where the node must be up. With it,
 * it checks that the node is 4.x and refuses what a cautious operator refuses — transient
 * non-exclusive queues and global QoS — so that the whole suite passing on it shows that the
 * library uses neither.
 */
class RabbitMq4IT {
  private static String uri;

  @BeforeAll
  static void nodeNamed() {
    uri = System.getenv("RPC_RABBITMQ4_URI");
    if (uri == null || uri.isBlank()) {
      String why = "RabbitMQ 4.3 is not available: RPC_RABBITMQ4_URI is not set, so the suite's RabbitMQ 4.3 run"
          + " (failsafe execution it-rabbitmq4) is skipped; `bash .ci/rabbitmq-4.sh up` starts a node and prints"
          + " its URI";
      assertFalse("true".equals(System.getenv("CI")), "in CI: " + why);
      assumeTrue(false, why);
    }
  }

  private static Connection connect() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    factory.setAutomaticRecoveryEnabled(false);
    return factory.newConnection("rabbit-rpc RabbitMq4IT");
  }

  @Test
  void theNodeIsRabbitMq4() throws Exception {
    try (Connection connection = connect()) {
      String version = String.valueOf(connection.getServerProperties().get("version"));
      assertTrue(version.startsWith("4."), "RabbitMQ 4.x at " + uri + ", got " + version);
    }
  }

  @Test
  void theNodeRefusesTransientNonExclusiveQueues() throws Exception {
    try (Connection connection = connect()) {
      Channel channel = connection.createChannel();
      IOException refused = assertThrows(IOException.class,
          () -> channel.queueDeclare("rabbit-rpc.transient-probe", false, false, true, null));
      assertRefused(refused, "transient non-exclusive queue");
    }
  }

  @Test
  void theNodeRefusesGlobalQos() throws Exception {
    try (Connection connection = connect()) {
      Channel channel = connection.createChannel();
      IOException refused = assertThrows(IOException.class, () -> channel.basicQos(10, true));
      assertRefused(refused, "global QoS");
    }
  }

  private static void assertRefused(IOException refused, String what) {
    ShutdownSignalException cause = (ShutdownSignalException) refused.getCause();
    AMQP.Channel.Close close = (AMQP.Channel.Close) cause.getReason();
    assertEquals(AMQP.PRECONDITION_FAILED, close.getReplyCode(), what + ": " + close.getReplyText());
  }
}
