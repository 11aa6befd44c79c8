package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Consumer;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.TestServices.Types;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A call's deadline is fixed when the call is made: time spent connecting comes out of it, on the
 * wire too; and whatever ends a call, its deadline included, completes it on the application's
 * executor. Mocked: the test needs to hold a connection attempt for a known time, and to see the
 * exact properties published.
 */
class DeadlineAccountingTest {
  private static final long TIMEOUT_MS = 5_000;
  /** How long the test holds the connection attempt; it must come out of the deadline. */
  private static final long CONNECT_DELAY_MS = 500;

  private final Channel channel = mock(Channel.class);
  private final Connection connection = mock(Connection.class);
  private final ConnectionFactory factory = mock(ConnectionFactory.class);

  private void broker() throws Exception {
    when(channel.isOpen()).thenReturn(true);
    when(channel.basicConsume(anyString(), anyBoolean(), any(Consumer.class))).thenReturn("tag");
    when(connection.isOpen()).thenReturn(true);
    when(connection.createChannel()).thenReturn(channel);
    when(connection.getServerProperties()).thenReturn(Map.of("product", "RabbitMQ"));
    when(factory.getHost()).thenReturn("mocked");
    when(factory.getVirtualHost()).thenReturn("/");
  }

  @Test
  void timeSpentConnectingComesOutOfTheDeadlineHeaderAndTheExpiration() throws Exception {
    broker();
    CountDownLatch connect = new CountDownLatch(1);
    when(factory.newConnection(any(ExecutorService.class), anyString())).thenAnswer(invocation -> {
      assertTrue(connect.await(10, TimeUnit.SECONDS));
      return connection;
    });
    AtomicReference<AMQP.BasicProperties> published = new AtomicReference<>();
    AtomicLong publishedAtNanos = new AtomicLong();
    CountDownLatch sent = new CountDownLatch(1);
    doAnswer(invocation -> {
      publishedAtNanos.set(System.nanoTime());
      published.set(invocation.getArgument(3));
      sent.countDown();
      return null;
    }).when(channel).basicPublish(eq(""), anyString(), anyBoolean(), any(AMQP.BasicProperties.class), any(byte[].class));

    RpcClient client = RpcClient.builder().connectionFactory(factory).timeout(Duration.ofMillis(TIMEOUT_MS)).build();
    try {
      Types types = client.proxy(Types.class);
      CompletableFuture<Object> call = CompletableFuture.supplyAsync(() -> {
        try {
          return types.add(1, 2);
        } catch (RpcException e) {
          return e; // CANCELLED when the client closes: no reply ever comes
        }
      });
      TestWait.until(Duration.ofSeconds(10), "the call to wait for the connection",
          () -> client.transport().waitingForConnection() == 1);
      // The call was made before this moment, so its deadline is at most TIMEOUT_MS after it.
      long waitingSinceNanos = System.nanoTime();
      long waitingSinceMillis = System.currentTimeMillis();
      Thread.sleep(CONNECT_DELAY_MS); // the slow connect under test, not a wait for a result
      connect.countDown();
      assertTrue(sent.await(10, TimeUnit.SECONDS), "the request was never published");

      AMQP.BasicProperties properties = published.get();
      assertTrue(publishedAtNanos.get() - waitingSinceNanos >= TimeUnit.MILLISECONDS.toNanos(CONNECT_DELAY_MS));
      // The call was made before waitingSince, and its expiration computed after the connect, which
      // ended at least CONNECT_DELAY_MS after waitingSince: so at most TIMEOUT_MS - CONNECT_DELAY_MS were left.
      long expiration = Long.parseLong(properties.getExpiration());
      assertTrue(expiration <= TIMEOUT_MS - CONNECT_DELAY_MS,
          "expiration " + expiration + " ms after at least " + CONNECT_DELAY_MS + " ms of connecting");
      long header = ((Number) properties.getHeaders().get(WireHeaders.DEADLINE)).longValue();
      assertTrue(header <= waitingSinceMillis + TIMEOUT_MS + 2,
          "rpc-deadline " + (header - waitingSinceMillis) + " ms after the call waited; the timeout is " + TIMEOUT_MS);
      client.close();
      assertInstanceOf(RpcException.class, call.get(10, TimeUnit.SECONDS));
    } finally {
      client.close();
    }
  }

  @Test
  void anAsyncCallsDeadlineCompletesItOnTheApplicationsExecutor() throws Exception {
    broker();
    when(factory.newConnection(any(ExecutorService.class), anyString())).thenReturn(connection);
    ExecutorService application = Executors.newSingleThreadExecutor(runnable -> new Thread(runnable, "application-1"));
    try (RpcClient client = RpcClient.builder().connectionFactory(factory).executor(application)
        .timeout(Duration.ofMillis(200)).build()) {
      CompletableFuture<String> completedOn = client.proxy(Types.class).nothingAsync()
          .handle((value, failure) -> {
            assertEquals(Code.DEADLINE_EXCEEDED, assertInstanceOf(RpcException.class, failure).code());
            return Thread.currentThread().getName();
          });
      assertEquals("application-1", completedOn.get(10, TimeUnit.SECONDS));
    } finally {
      application.shutdownNow();
    }
  }
}
