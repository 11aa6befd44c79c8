package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.test.RequiresRabbitMq;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A channel the client replaced (the consumer probe's, closed by a 404 each time a probed queue is
 * gone) is not brought back by connection recovery: a client's channels stay what it uses.
 */
@RpcBrokerTest
class RecoveredChannelsIT {
  private final TestBroker broker;

  RecoveredChannelsIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  interface Work {
    CompletableFuture<String> run(String task);
  }

  @Test
  @RequiresRabbitMq("rabbitmqctl counts a connection's channels and closes it")
  void recoveryDoesNotResurrectChannelsTheClientReplaced() throws Exception {
    String name = "recovered-channels-" + UUID.randomUUID();
    RpcClient client = broker.client(b -> b.connectionName(name).timeout(Duration.ofSeconds(20)));
    Channel raw = broker.rawConnection().createChannel();
    for (int i = 0; i < 3; i++) {
      // The request waits in a queue nothing consumes; the queue then goes, so the probe's passive
      // declare gets a 404, which closes the probe's channel: the next probe opens another.
      String queue = TestBroker.uniqueQueue("vanishing");
      raw.queueDeclare(queue, true, false, false, null);
      CompletableFuture<String> call = client.proxy(Work.class, queue).run("x");
      TestBroker.await(Duration.ofSeconds(10), "the request in the queue", () -> broker.messageCount(queue) == 1);
      raw.queueDelete(queue);
      ExecutionException failure = assertThrows(ExecutionException.class, () -> call.get(15, TimeUnit.SECONDS));
      RpcException cause = assertInstanceOf(RpcException.class, failure.getCause());
      assertEquals(Code.UNAVAILABLE, cause.code());
      assertTrue(cause.getMessage().contains("no server consumes"), cause.getMessage());
    }
    int before = channelsOf(name);

    String pid = only(Rabbitmqctl.connectionsNamed(name))[0];
    Rabbitmqctl.run("close_connection", pid, "test: force a recovery");
    TestBroker.await(Duration.ofSeconds(30), "the connection to recover",
        () -> openConnections(name) == 1 && client.proxy(Work.class, "nowhere-" + name).run("y")
            .handle((value, e) -> e instanceof RpcException && ((RpcException) e).getMessage().contains("no queue took"))
            .join());
    assertEquals(before, channelsOf(name), "channels after recovery, against " + before + " before");
  }

  private static int openConnections(String name) {
    try {
      return Rabbitmqctl.connectionsNamed(name).size();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static int channelsOf(String name) throws Exception {
    return Integer.parseInt(only(Rabbitmqctl.connectionsNamed(name))[1].trim());
  }

  private static String[] only(List<String[]> connections) {
    assertEquals(1, connections.size(), "connections of that name");
    return connections.get(0);
  }
}
