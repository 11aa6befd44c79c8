package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.Timeout;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Where RabbitMQ and other AMQP 0-9-1 brokers (the embedded Qpid) differ, and what the client does
 * about it; the same tests run on both brokers (see this module's pom).
 */
@RpcBrokerTest
class BrokerDifferencesIT {
  private static final long TIMEOUT_MS = 7_000;

  @Timeout(value = TIMEOUT_MS, unit = TimeUnit.MILLISECONDS)
  interface Echo {
    CompletableFuture<String> echo(String text);
  }

  /** A request as a hand-written server received it. */
  private record Received(AMQP.BasicProperties properties, String body) {}

  /**
   * Serves {@code queue} by hand: hands each request to the test, then answers it as a v1 server
   * does (same correlation id, {@code rpc-status: OK}, JSON body) on its {@code reply_to}.
   */
  private static BlockingQueue<Received> answerByHand(RpcBroker broker, String queue) throws Exception {
    BlockingQueue<Received> received = new ArrayBlockingQueue<>(16);
    Channel channel = broker.newConnection().createChannel();
    channel.queueDeclare(queue, true, false, false, null);
    channel.basicConsume(queue, true, (tag, delivery) -> {
      AMQP.BasicProperties request = delivery.getProperties();
      received.add(new Received(request, new String(delivery.getBody(), StandardCharsets.UTF_8)));
      channel.basicPublish("", request.getReplyTo(), new AMQP.BasicProperties.Builder()
          .contentType("application/json")
          .correlationId(request.getCorrelationId())
          .headers(Map.of("rpc-protocol", 1, "rpc-status", "OK"))
          .build(), "\"answered\"".getBytes(StandardCharsets.UTF_8));
    }, tag -> { });
    return received;
  }

  private static Received take(BlockingQueue<Received> received) throws InterruptedException {
    Received request = received.poll(10, TimeUnit.SECONDS);
    assertNotNull(request, "no request within 10 s");
    return request;
  }

  @Test
  void sendsTheDeadlineHeaderToEveryBrokerAndExpirationOnlyToRabbitMq(RpcBroker broker) throws Exception {
    String queue = broker.uniqueQueue("deadline");
    BlockingQueue<Received> received = answerByHand(broker, queue);
    TestBroker.connect(broker.client()); // connecting would come out of the expiration below
    long before = System.currentTimeMillis();
    CompletableFuture<String> call = broker.client().proxy(Echo.class, queue).echo("hi");
    long after = System.currentTimeMillis();
    Received request = take(received);

    long deadline = ((Number) request.properties().getHeaders().get("rpc-deadline")).longValue();
    // The call's start plus its timeout, in whole ms: the client rounds the time left down to ms and
    // reads the clock again when it sends, so the header may say up to 2 ms less, never more.
    assertTrue(deadline >= before + TIMEOUT_MS - 2 && deadline <= after + TIMEOUT_MS,
        "deadline " + deadline + ", call made between " + before + " and " + after);
    if (broker.isRabbitMq()) {
      // the time left when the request was sent: the timeout less what encoding took
      long expiration = Long.parseLong(request.properties().getExpiration());
      assertTrue(expiration > TIMEOUT_MS - 1_000 && expiration <= TIMEOUT_MS, "expiration " + expiration);
    } else {
      // Qpid reads expiration as an absolute time: "7000" would mean 1970, and the request would never arrive.
      assertNull(request.properties().getExpiration());
    }
    assertEquals("answered", call.get(10, TimeUnit.SECONDS));
  }

  @Test
  void getsRepliesThroughDirectReplyToOnRabbitMqAndThroughItsOwnReplyQueueElsewhere(RpcBroker broker) throws Exception {
    String queue = broker.uniqueQueue("replyto");
    BlockingQueue<Received> received = answerByHand(broker, queue);
    CompletableFuture<String> call = broker.client().proxy(Echo.class, queue).echo("hi");
    String replyTo = take(received).properties().getReplyTo();

    if (broker.isRabbitMq()) {
      assertTrue(replyTo.startsWith("amq.rabbitmq.reply-to"), replyTo);
    } else {
      assertFalse(replyTo.startsWith("amq.rabbitmq."), replyTo);
    }
    assertEquals("answered", call.get(10, TimeUnit.SECONDS));
  }

  @Test
  void usesOneReplyAddressForEveryCallOfAChannel(RpcBroker broker) throws Exception {
    String queue = broker.uniqueQueue("replyqueue");
    BlockingQueue<Received> received = answerByHand(broker, queue);
    Echo echo = broker.client().proxy(Echo.class, queue);
    String first = null;
    for (int i = 0; i < 3; i++) {
      CompletableFuture<String> call = echo.echo("call " + i);
      String replyTo = take(received).properties().getReplyTo();
      first = first == null ? replyTo : first;
      assertEquals(first, replyTo);
      assertEquals("answered", call.get(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void failsAtOnceWithUnavailableWhenNoQueueTakesTheRequestAndStaysUsable(RpcBroker broker) throws Exception {
    Echo nowhere = broker.client().proxy(Echo.class, broker.uniqueQueue("nowhere"));
    long start = System.nanoTime();
    CompletableFuture<String> call = nowhere.echo("anyone?");
    ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Code.UNAVAILABLE, ((RpcException) e.getCause()).code());
    assertTrue(tookMillis < TIMEOUT_MS / 2, "took " + tookMillis + " ms: not at once");

    // The broker returned the request (basic.return); it did not close the connection.
    String queue = broker.uniqueQueue("after");
    BlockingQueue<Received> received = answerByHand(broker, queue);
    CompletableFuture<String> next = broker.client().proxy(Echo.class, queue).echo("still there?");
    take(received);
    assertEquals("answered", next.get(10, TimeUnit.SECONDS));
  }
}
