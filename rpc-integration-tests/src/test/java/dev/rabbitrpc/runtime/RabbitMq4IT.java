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
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The suite also runs on RabbitMQ 4.3 (the failsafe execution {@code it-rabbitmq4}, on the node of
 * {@code .ci/rabbitmq-4.sh}), when {@code RPC_RABBITMQ4_URI} names it. Without it this test says
 * why the 4.3 run is skipped, and fails in CI ({@code CI=true}), where the node must be up. With it,
 * it checks that the node is 4.x and denies what a cautious operator denies — transient
 * non-exclusive queues and global QoS — so that the whole suite passing on it shows that the
 * library needs neither (a transient non-exclusive queue would close the connection).
 */
class RabbitMq4IT {
  private static String uri;
  /** The 4.3 node's script, from the module's directory, where failsafe runs the tests. */
  private static final Path SCRIPT = Path.of("..", ".ci", "rabbitmq-4.sh");

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

  /** 4.3 refuses one with a connection error (541), not a channel error: it is that strict. */
  @Test
  void theNodeRefusesTransientNonExclusiveQueues() throws Exception {
    Connection connection = connect();
    try {
      Channel channel = connection.createChannel();
      IOException refused = assertThrows(IOException.class,
          () -> channel.queueDeclare("rabbit-rpc.transient-probe", false, false, true, null));
      ShutdownSignalException cause = (ShutdownSignalException) refused.getCause();
      assertTrue(cause.isHardError(), "the connection is closed: " + cause.getMessage());
      assertEquals(AMQP.INTERNAL_ERROR, ((AMQP.Connection.Close) cause.getReason()).getReplyCode(), cause.getMessage());
    } finally {
      connection.abort();
    }
  }

  /**
   * 4.3 still takes {@code basic.qos} with {@code global} when it is denied (it logs an error and
   * applies it per consumer), so the node is asked what it permits.
   */
  @Test
  void theNodeDeniesBothDeprecatedFeatures() throws Exception {
    for (String feature : new String[] {"transient_nonexcl_queues", "global_qos"}) {
      String printed = Rabbitmqctl.exec(List.of(SCRIPT.toString(), "ctl", "eval",
          "rabbit_deprecated_features:is_permitted(" + feature + ")."), 60).trim();
      // The first question about a feature may print a warning first: the answer is the last line.
      String answer = printed.substring(printed.lastIndexOf('\n') + 1).trim();
      assertEquals("false", answer, feature + " is denied on the node: " + printed);
    }
  }
}
