package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;

import com.rabbitmq.client.BlockedCallback;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Consumer;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownListener;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.UnblockedCallback;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * What the transport remembers about a connection (a broker alarm, a recovery in progress) ends
 * with that connection: a lost connection's alarm or a recovery amqp-client gave up on never keeps
 * the client UNAVAILABLE until the process restarts. Mocked, because neither an alarm outliving its
 * connection nor an abandoned recovery can be made on demand on the shared broker.
 */
class TransportStateTest {
  /** A mocked connection and the listeners the transport registered on it. */
  static final class MockConnection {
    final Connection connection;
    final List<ShutdownListener> shutdownListeners = new ArrayList<>();
    final List<BlockedCallback> blocked = new ArrayList<>();
    final List<RecoveryListener> recoveryListeners = new ArrayList<>();
    volatile boolean open = true;

    MockConnection(boolean recoverable) throws Exception {
      connection = recoverable
          ? mock(Connection.class, withSettings().extraInterfaces(Recoverable.class))
          : mock(Connection.class);
      Channel channel = mock(Channel.class);
      when(channel.isOpen()).thenReturn(true);
      when(channel.basicConsume(anyString(), anyBoolean(), any(Consumer.class))).thenReturn("tag");
      when(connection.isOpen()).thenAnswer(invocation -> open);
      when(connection.createChannel()).thenReturn(channel);
      when(connection.getServerProperties()).thenReturn(Map.of("product", "RabbitMQ"));
      doAnswer(invocation -> shutdownListeners.add(invocation.getArgument(0)))
          .when(connection).addShutdownListener(any(ShutdownListener.class));
      doAnswer(invocation -> {
        blocked.add(invocation.getArgument(0));
        return null;
      })
          .when(connection).addBlockedListener(any(BlockedCallback.class), any(UnblockedCallback.class));
      if (recoverable) {
        doAnswer(invocation -> recoveryListeners.add(invocation.getArgument(0)))
            .when((Recoverable) connection).addRecoveryListener(any(RecoveryListener.class));
      }
    }

    void block(String reason) throws Exception {
      for (BlockedCallback callback : blocked) {
        callback.handle(reason);
      }
    }

    /** The broker or the network ends the connection (not the application). */
    void lose() {
      open = false;
      ShutdownSignalException cause = new ShutdownSignalException(true, false, null, connection);
      for (ShutdownListener listener : shutdownListeners) {
        listener.shutdownCompleted(cause);
      }
    }

    void recoveryStarted() {
      for (RecoveryListener listener : recoveryListeners) {
        listener.handleRecoveryStarted((Recoverable) connection);
      }
    }

    void recovered() {
      open = true;
      for (RecoveryListener listener : recoveryListeners) {
        listener.handleRecovery((Recoverable) connection);
      }
    }
  }

  private final AtomicLong now = new AtomicLong();
  private final ConnectionFactory factory = mock(ConnectionFactory.class);

  private AmqpTransport transport(MockConnection... connections) throws Exception {
    when(factory.getHost()).thenReturn("mocked");
    when(factory.getVirtualHost()).thenReturn("/");
    var stubbing = when(factory.newConnection(any(ExecutorService.class), anyString()));
    for (MockConnection connection : connections) {
      stubbing = stubbing.thenReturn(connection.connection);
    }
    return new AmqpTransport(factory, List.of(), "test", 1, new ReplyRouter(Codec.json(), null),
        Duration.ofSeconds(5), new MessageSizeLimit(1 << 20), now::get);
  }

  private static Deadline soon() {
    return Deadline.after(5, TimeUnit.SECONDS);
  }

  @Test
  void anAlarmOfALostConnectionDoesNotBlockTheNextOne() throws Exception {
    MockConnection first = new MockConnection(false);
    MockConnection second = new MockConnection(false);
    AmqpTransport transport = transport(first, second);
    assertSame(first.connection, transport.connection(soon()));
    first.block("low on memory");
    RpcException blocked = assertThrows(RpcException.class, transport::checkNotBlocked);
    assertEquals(Code.UNAVAILABLE, blocked.code());
    assertTrue(blocked.getMessage().contains("low on memory"), blocked.getMessage());

    first.lose(); // before the broker said "unblocked"
    assertDoesNotThrow(transport::checkNotBlocked);
    assertSame(second.connection, transport.connection(soon()), "a lost connection without recovery is replaced");
  }

  @Test
  void recoveryStateEndsWhenRecoveryEndsAndAnAlarmDoesNotSurviveIt() throws Exception {
    MockConnection connection = new MockConnection(true);
    AmqpTransport transport = transport(connection);
    transport.connection(soon());
    connection.block("disk alarm");
    connection.lose();
    connection.recoveryStarted();
    RpcException recovering = assertThrows(RpcException.class, transport::checkNotBlocked);
    assertTrue(recovering.getMessage().contains("being recovered"), recovering.getMessage());

    connection.recovered();
    assertDoesNotThrow(transport::checkNotBlocked);
  }

  @Test
  void aRecoveryThatNeverEndsIsAbandonedAndTheNextCallConnectsAfresh() throws Exception {
    MockConnection stuck = new MockConnection(true);
    MockConnection fresh = new MockConnection(true);
    AmqpTransport transport = transport(stuck, fresh);
    transport.connection(soon());
    stuck.lose();
    stuck.recoveryStarted(); // and amqp-client never says it finished
    now.addAndGet(TimeUnit.SECONDS.toNanos(59));
    assertTrue(assertThrows(RpcException.class, transport::checkNotBlocked).getMessage().contains("being recovered"));

    now.addAndGet(TimeUnit.SECONDS.toNanos(2)); // past the 60 s budget
    RpcException abandoned = assertThrows(RpcException.class, transport::checkNotBlocked);
    assertEquals(Code.UNAVAILABLE, abandoned.code());
    assertTrue(abandoned.getMessage().contains("did not finish"), abandoned.getMessage());
    verify(stuck.connection).abort(anyInt());

    assertDoesNotThrow(transport::checkNotBlocked);
    assertSame(fresh.connection, transport.connection(soon()));
    verify(factory, times(2)).newConnection(any(ExecutorService.class), anyString());
  }
}
