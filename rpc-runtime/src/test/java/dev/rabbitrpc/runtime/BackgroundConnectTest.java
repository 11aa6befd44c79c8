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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
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
    Thread caller = Thread.currentThread();
    when(factory.newConnection(any(ExecutorService.class), anyString())).thenAnswer(invocation -> {
      if (Thread.currentThread() != caller) {
        // the background attempt fails only once the calling thread waits for it
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (caller.getState() != Thread.State.BLOCKED && System.nanoTime() < end) {
          Thread.onSpinWait();
        }
      }
      throw new IOException("connection refused (mocked)");
    });

    try (RpcClient client = RpcClient.builder().connectionFactory(factory).build()) {
      Types types = client.proxy(Types.class);
      RpcException first = assertThrows(RpcException.class, () -> types.add(1, 2));
      assertEquals(Code.UNAVAILABLE, first.code());
      assertTrue(first.getMessage().contains("connection refused (mocked)"), first.getMessage());
      verify(factory, times(1)).newConnection(any(ExecutorService.class), anyString());

      RpcException second = assertThrows(RpcException.class, () -> types.add(1, 2));
      assertEquals(Code.UNAVAILABLE, second.code());
      verify(factory, times(2)).newConnection(any(ExecutorService.class), anyString());
      assertEquals(0, client.pendingCalls());
    }
  }
}
