package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Consumer;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.TestServices.Types;
import java.io.IOException;
import java.util.Map;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Making a proxy starts connecting on another thread, so that the first call finds the connection
 * and its call channel ready; a call that waits for a failing attempt shares its failure.
 */
class BackgroundConnectTest {
  private static ConnectionFactory factory() {
    ConnectionFactory factory = mock(ConnectionFactory.class);
    when(factory.getHost()).thenReturn("mocked");
    when(factory.getVirtualHost()).thenReturn("/");
    return factory;
  }

  @Test
  void buildDoesNotConnectButAProxyConnectsAndOpensTheCallChannelInTheBackground() throws Exception {
    Channel channel = mock(Channel.class);
    when(channel.isOpen()).thenReturn(true);
    when(channel.basicConsume(anyString(), anyBoolean(), any(Consumer.class))).thenReturn("tag");
    Connection connection = mock(Connection.class);
    when(connection.isOpen()).thenReturn(true);
    when(connection.createChannel()).thenReturn(channel);
    when(connection.getServerProperties()).thenReturn(Map.of("product", "RabbitMQ"));
    ConnectionFactory factory = factory();
    when(factory.newConnection(any(ExecutorService.class), anyString())).thenReturn(connection);

    try (RpcClient client = RpcClient.builder().connectionFactory(factory).build()) {
      verify(factory, never()).newConnection(any(ExecutorService.class), anyString());
      client.proxy(Types.class);
      verify(factory, timeout(5_000)).newConnection(any(ExecutorService.class), anyString());
      // the call channel's reply consumer is registered before any call is made
      verify(channel, timeout(5_000)).basicConsume(eq(CallChannel.DIRECT_REPLY_TO), eq(true), any(Consumer.class));
      client.proxy(Types.class);
      verify(factory, times(1)).newConnection(any(ExecutorService.class), anyString());
    }
  }

  @Test
  void aCallWaitingForTheBackgroundAttemptGetsItsFailureThenTheNextCallTriesAgain() throws Exception {
    ConnectionFactory factory = factory();
    CountDownLatch callerWaits = new CountDownLatch(1);
    AtomicInteger attempts = new AtomicInteger();
    when(factory.newConnection(any(ExecutorService.class), anyString())).thenAnswer(invocation -> {
      if (attempts.incrementAndGet() == 1) {
        // the background attempt fails only once the call waits for it
        assertTrue(callerWaits.await(10, TimeUnit.SECONDS), "the call never waited for the background attempt");
      }
      throw new IOException("connection refused (mocked)");
    });

    try (RpcClient client = RpcClient.builder().connectionFactory(factory).timeout(Duration.ofSeconds(20)).build()) {
      Types types = client.proxy(Types.class);
      CompletableFuture<RpcException> first = CompletableFuture.supplyAsync(
          () -> assertThrows(RpcException.class, () -> types.add(1, 2)));
      TestWait.until(Duration.ofSeconds(10), "the call to wait for the background attempt",
          () -> client.transport().waitingForConnection() == 1);
      callerWaits.countDown();
      RpcException failure = first.get(10, TimeUnit.SECONDS);
      assertEquals(Code.UNAVAILABLE, failure.code());
      assertTrue(failure.getMessage().contains("connection refused (mocked)"), failure.getMessage());
      verify(factory, times(1)).newConnection(any(ExecutorService.class), anyString());

      RpcException second = assertThrows(RpcException.class, () -> types.add(1, 2));
      assertEquals(Code.UNAVAILABLE, second.code());
      verify(factory, times(2)).newConnection(any(ExecutorService.class), anyString());
      assertEquals(0, client.stats().pendingCalls());
    }
  }

  @Test
  void aCallRightAfterAnUnseenFailedAttemptGetsItsFailureInsteadOfASecondAttempt() throws Exception {
    ConnectionFactory factory = factory();
    when(factory.newConnection(any(ExecutorService.class), anyString()))
        .thenThrow(new IOException("connection refused (mocked)"));
    AtomicLong now = new AtomicLong();
    AmqpTransport transport = transport(factory, now::get); // time stands still unless the test moves it

    transport.connectInBackground();
    awaitAttemptEnded(transport);
    RpcException first = assertThrows(RpcException.class, () -> transport.connection(Deadline.after(5, TimeUnit.SECONDS)));
    assertEquals(Code.UNAVAILABLE, first.code());
    verify(factory, times(1)).newConnection(any(ExecutorService.class), anyString());

    // Seen once, the failure is not the answer again: the next caller tries anew.
    assertThrows(RpcException.class, () -> transport.connection(Deadline.after(5, TimeUnit.SECONDS)));
    verify(factory, times(2)).newConnection(any(ExecutorService.class), anyString());
  }

  @Test
  void aFailedAttemptNobodySawIsStaleAfterASecond() throws Exception {
    ConnectionFactory factory = factory();
    when(factory.newConnection(any(ExecutorService.class), anyString()))
        .thenThrow(new IOException("connection refused (mocked)"));
    AtomicLong now = new AtomicLong();
    AmqpTransport transport = transport(factory, now::get);

    transport.connectInBackground();
    awaitAttemptEnded(transport);
    now.addAndGet(AmqpTransport.FRESH_FAILURE_NANOS);
    assertThrows(RpcException.class, () -> transport.connection(Deadline.after(5, TimeUnit.SECONDS)));
    verify(factory, times(2)).newConnection(any(ExecutorService.class), anyString());
  }

  private static AmqpTransport transport(ConnectionFactory factory, Deadline.Ticker ticker) {
    return new AmqpTransport(factory, List.of(), "test", 1, new ReplyRouter(Codec.json(), null),
        Duration.ofSeconds(5), new MessageSizeLimit(1 << 20), ticker);
  }

  /** Waits for the attempt in progress to end, without taking its outcome (which would count as seen). */
  private static void awaitAttemptEnded(AmqpTransport transport) throws Exception {
    transport.attempt().handle((connection, failure) -> null).get(10, TimeUnit.SECONDS);
  }
}
