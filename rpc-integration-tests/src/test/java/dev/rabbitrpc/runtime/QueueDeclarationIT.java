package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.TestServices.Failing;
import dev.rabbitrpc.runtime.TestServices.FailingImpl;
import dev.rabbitrpc.test.RequiresRabbitMq;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How servers declare request queues (docs/PROTOCOL.md, "Request queues"): an existing queue is served as
 * it is; a missing one is declared durable; nothing the library declares is transient and shared,
 * which RabbitMQ 4.3 refuses.
 */
@RpcBrokerTest
class QueueDeclarationIT {
  private final TestBroker broker;
  private final List<String> queues = new ArrayList<>();

  QueueDeclarationIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  private String queue(String prefix) {
    String queue = TestBroker.uniqueQueue(prefix);
    queues.add(queue);
    return queue;
  }

  @AfterEach
  void deleteQueues() throws Exception {
    for (String queue : queues) {
      broker.deleteQueue(queue);
    }
  }

  @Test
  void declaresAMissingQueueDurableAndConsumesItOnce() throws Exception {
    String queue = queue("durable");
    RpcServer server = broker.client(b -> b.workers(3)).export(Failing.class, new FailingImpl(), queue);
    assertEquals(RpcServer.State.SERVING, server.state());
    try (Channel channel = broker.rawConnection().createChannel()) {
      // An equivalent declaration passes; any other (durable=false) would close the channel (406).
      AMQP.Queue.DeclareOk ok = channel.queueDeclare(queue, true, false, false, null);
      assertEquals(1, ok.getConsumerCount(), "one consumer, whatever the workers");
    }
  }

  @Test
  @RequiresRabbitMq("quorum queues")
  void servesAQueueThatExistsAsItIsWhateverItsArguments() throws Exception {
    String queue = queue("existing");
    try (Channel operator = broker.rawConnection().createChannel()) {
      operator.queueDeclare(queue, true, false, false, Map.of("x-queue-type", "quorum"));
    }
    // This client would declare a classic queue with a dead-letter exchange; it serves the quorum queue instead.
    RpcClient client = broker.client(b -> b.deadLetterExchange("test.dlx.unused"));
    client.export(Failing.class, new FailingImpl(), queue);
    assertEquals("as it is", broker.client().proxy(Failing.class, queue).fast("as it is"));
    try (Channel channel = broker.rawConnection().createChannel()) {
      channel.queueDeclare(queue, true, false, false, Map.of("x-queue-type", "quorum")); // unchanged
    }
  }

  @Test
  @RequiresRabbitMq("RabbitMQ refuses another connection's exclusive queue with channel.close 405")
  void reportsTheBrokersRefusalWithItsReplyCodeAndTextNotAsAnOutage() throws Exception {
    String queue = queue("locked");
    Connection owner = broker.rawConnection();
    owner.createChannel().queueDeclare(queue, false, true, false, null); // exclusive to another connection

    RpcException e = assertThrows(RpcException.class,
        () -> broker.client().export(Failing.class, new FailingImpl(), queue));

    assertEquals(Code.INTERNAL, e.code(), e.getMessage());
    assertTrue(e.getMessage().startsWith("cannot serve queue " + queue + " on amqp://"), e.getMessage());
    assertTrue(e.getMessage().contains(": 405 RESOURCE_LOCKED - "), e.getMessage());
  }

  @Test
  void deletesTheQueueItCreatedWhenClosedIfNothingElseUsesIt() throws Exception {
    String queue = queue("created");
    RpcServer server = broker.client().export(Failing.class, new FailingImpl(), queue);
    assertTrue(server.closeAndDeleteCreatedQueue());
    assertFalse(queueExists(queue));
  }

  @Test
  void keepsAQueueItDidNotCreateOrThatAnotherServerConsumes() throws Exception {
    String existing = queue("not-created");
    try (Channel operator = broker.rawConnection().createChannel()) {
      operator.queueDeclare(existing, true, false, false, null);
    }
    assertFalse(broker.client().export(Failing.class, new FailingImpl(), existing).closeAndDeleteCreatedQueue());
    assertTrue(queueExists(existing));

    String shared = queue("shared");
    RpcServer first = broker.client().export(Failing.class, new FailingImpl(), shared);
    broker.client().export(Failing.class, new FailingImpl(), shared);
    assertFalse(first.closeAndDeleteCreatedQueue(), "another server still consumes it");
    assertEquals("still served", broker.client().proxy(Failing.class, shared).fast("still served"));
  }

  /**
   * Every declaring path at once (default, quorum and dead-letter exports, proxies and calls, a
   * cancellation), then {@code rabbitmqctl list_queues} while their queues exist: of the queues
   * this test's clients declared (the request queues it names, and those their connections own),
   * none is both non-durable and non-exclusive.
   */
  @Test
  @RequiresRabbitMq("rabbitmqctl lists the RabbitMQ node's queues")
  void declaresNoQueueThatIsNeitherDurableNorExclusive() throws Exception {
    String tag = "queue-audit-" + UUID.randomUUID().toString().substring(0, 8);
    String plain = queue("audit-default");
    String quorum = queue("audit-quorum");
    String deadLettered = queue("audit-dlx");
    HeldImpl held = new HeldImpl();
    broker.client(b -> b.connectionName(tag)).export(Failing.class, held, plain);
    broker.client(b -> b.connectionName(tag).quorumQueues(true)).export(Failing.class, new FailingImpl(), quorum);
    broker.client(b -> b.connectionName(tag).deadLetterExchange("test.dlx." + tag))
        .export(Failing.class, new FailingImpl(), deadLettered);
    RpcClient callers = broker.client(b -> b.connectionName(tag).channels(2));
    for (String queue : List.of(plain, quorum, deadLettered)) {
      assertEquals(queue, callers.proxy(Failing.class, queue).fast(queue));
    }
    CompletableFuture<String> cancelled = callers.proxy(Failing.class, plain).slowAsync(250);
    assertTrue(held.entered.await(10, TimeUnit.SECONDS), "the call to cancel runs");
    cancelled.cancel(true); // publishes a cancel notice to every server's cancel queue

    Set<String> ours = new HashSet<>();
    // client_properties holds the connection name the client gave (RabbitMQ 3.10 has no user_provided_name item).
    for (String[] connection : Rabbitmqctl.connectionsNamed(tag)) {
      ours.add(connection[0]);
    }
    assertEquals(4, ours.size(), "the test's four connections");
    int owned = 0;
    List<String> transientShared = new ArrayList<>();
    for (String line : Rabbitmqctl.run("list_queues", "name", "durable", "exclusive", "owner_pid",
        "--no-table-headers", "-q").split("\n")) {
      String[] columns = line.split("\t", -1);
      if (columns.length < 4) {
        continue;
      }
      boolean named = queues.contains(columns[0]);
      boolean ownedByUs = ours.contains(columns[3]);
      owned += ownedByUs ? 1 : 0;
      if ((named || ownedByUs) && columns[1].equals("false") && columns[2].equals("false")) {
        transientShared.add(columns[0]);
      }
    }
    assertEquals(List.of(), transientShared, "queues that RabbitMQ 4.3 would refuse");
    assertEquals(3, owned, "one exclusive cancel queue per server");
  }

  /** {@code slowAsync} signals that it started, then sleeps as {@link FailingImpl} does. */
  private static final class HeldImpl extends FailingImpl {
    final CountDownLatch entered = new CountDownLatch(1);

    @Override public CompletableFuture<String> slowAsync(long millis) {
      entered.countDown();
      return super.slowAsync(millis);
    }
  }

  private boolean queueExists(String queue) throws Exception {
    try (Channel channel = broker.rawConnection().createChannel()) {
      channel.queueDeclarePassive(queue);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
