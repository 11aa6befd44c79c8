package dev.rabbitrpc.runtime;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.impl.recovery.AutorecoveringConnection;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's one AMQP connection, opened lazily on first use, with its small pool of
 * {@link CallChannel}s. The connection recovers automatically (amqp-client's recovery); losing it
 * fails every call in flight with {@code UNAVAILABLE} at once.
 *
 * <p>Thread-safe.
 */
final class AmqpTransport {
  private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);
  private final ConnectionFactory factory;
  private final List<Address> addresses;
  /** Where the broker is, without credentials: safe for logs and messages. */
  final String brokerDescription;
  private final String connectionName;
  private final ReplyRouter router;
  private final AtomicReferenceArray<CallChannel> callChannels;
  /**
   * Runs the connection's consumers: reply consumers and the servers' handlers, which run on the
   * thread that delivers their request. It grows a thread per channel with work, so a handler that
   * blocks (or waits for a nested call's reply) never starves another channel's consumer, as
   * amqp-client's default fixed pool of 2 x cores threads could. Created with the connection.
   */
  private ExecutorService consumerThreads;
  private volatile Connection connection;
  private volatile boolean rabbitMq;
  private volatile boolean closed;
  /** Why the broker blocks publishing (a resource alarm), or null. */
  private volatile String blockedReason;
  /** How long a failed background attempt answers the first call instead of a new attempt. */
  private static final long FRESH_FAILURE_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** A background connection attempt is running ({@link #connectInBackground()}). */
  private volatile boolean connecting;
  /** How the last background attempt failed, and when; guarded by this. */
  private RpcException backgroundFailure;
  private long backgroundFailureNanos;
  /** Between losing the connection and amqp-client's recovery of it (channels and consumers). */
  private volatile boolean recovering;

  AmqpTransport(ConnectionFactory factory, List<Address> addresses, String connectionName, int channels,
      ReplyRouter router) {
    this.factory = factory;
    this.addresses = addresses;
    this.brokerDescription = addresses.isEmpty() ? describe(factory) : describe(factory, addresses);
    this.connectionName = connectionName;
    this.router = router;
    this.callChannels = new AtomicReferenceArray<>(channels);
  }

  static String describe(ConnectionFactory factory) {
    String vhost = factory.getVirtualHost();
    return (factory.isSSL() ? "amqps://" : "amqp://") + factory.getHost() + ":" + factory.getPort()
        + (vhost.equals("/") ? "/" : "/" + vhost);
  }

  private static String describe(ConnectionFactory factory, List<Address> addresses) {
    StringBuilder description = new StringBuilder(factory.isSSL() ? "amqps://" : "amqp://");
    for (int i = 0; i < addresses.size(); i++) {
      description.append(i == 0 ? "" : ",").append(addresses.get(i).getHost()).append(':')
          .append(addresses.get(i).getPort() < 0 ? factory.getPort() : addresses.get(i).getPort());
    }
    String vhost = factory.getVirtualHost();
    return description.append(vhost.equals("/") ? "/" : "/" + vhost).toString();
  }

  /**
   * Fails fast while the broker blocks publishing (memory or disk alarm): a publish would
   * otherwise block the caller for as long as the alarm lasts.
   */
  void checkNotBlocked() {
    String reason = blockedReason;
    if (reason != null) {
      throw new RpcException(Code.UNAVAILABLE, "the broker " + brokerDescription + " blocks publishing: " + reason);
    }
    if (recovering) {
      // Until recovery has re-registered the reply consumers, a request with reply_to
      // amq.rabbitmq.reply-to would make RabbitMQ close the channel (406 "fast reply consumer does not exist").
      throw new RpcException(Code.UNAVAILABLE, "the connection to " + brokerDescription + " is being recovered");
    }
  }

  /**
   * Starts connecting, and opening the first call channel, on a thread of its own, unless connected
   * or connecting already: a new proxy's first call then finds them ready, while its own thread
   * prepares the call (codec, first encoding) meanwhile. A call that comes while this runs waits
   * for it and shares its outcome. A failure is reported to the first call that waited for it or
   * comes within a second after it; later calls try again.
   */
  void connectInBackground() {
    if (connection != null || closed || connecting) {
      return;
    }
    synchronized (this) {
      if (connection != null || closed || connecting) {
        return;
      }
      connecting = true;
    }
    Thread thread = Threads.daemon("rabbit-rpc-connect").newThread(() -> {
      try {
        connect(true);
        callChannel(0);
      } catch (RuntimeException e) {
        // reported to a call that waited for this attempt (see connect), else only logged
        log.debug("background connection to {} failed: {}", brokerDescription, e.getMessage());
      } finally {
        connecting = false;
      }
    });
    thread.start();
  }

  /** The open connection, connecting first if needed. */
  Connection connection() {
    return connect(false);
  }

  /** @param background the attempt of {@link #connectInBackground()}, whose failure waiting calls share */
  private Connection connect(boolean background) {
    Connection current = connection;
    if (current != null) {
      return current;
    }
    long waitingSince = System.nanoTime();
    synchronized (this) {
      if (closed) {
        throw new RpcException(Code.CANCELLED, "the client is closed");
      }
      RpcException waitedFor = backgroundFailure;
      if (connection == null && waitedFor != null && !background) {
        backgroundFailure = null; // reported once; the call after this one tries again
        if (backgroundFailureNanos - waitingSince >= 0
            || System.nanoTime() - backgroundFailureNanos < FRESH_FAILURE_NANOS) {
          // This call waited for the background attempt, or comes right after it failed: one attempt, not two.
          throw new RpcException(waitedFor.code(), waitedFor.getMessage(), waitedFor);
        }
      }
      if (connection == null) {
        try {
          if (consumerThreads == null) {
            consumerThreads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), consumerThreadFactory(factory));
          }
          Connection opened = addresses.isEmpty()
              ? factory.newConnection(consumerThreads, connectionName)
              : factory.newConnection(consumerThreads, addresses, connectionName);
          Object product = opened.getServerProperties().get("product");
          rabbitMq = product != null && product.toString().contains("RabbitMQ");
          if (opened instanceof AutorecoveringConnection) {
            // Recovery redeclares a server-named reply queue (brokers without direct reply-to) under a new name.
            ((AutorecoveringConnection) opened).addQueueRecoveryListener(this::replyQueueRenamed);
          }
          opened.addShutdownListener(cause -> {
            if (!cause.isInitiatedByApplication()) {
              lost(opened);
              router.failAll(call -> true, call -> new RpcException(Code.UNAVAILABLE,
                  call.method.key + ": connection to " + brokerDescription + " lost: " + cause.getMessage()));
            }
          });
          if (opened instanceof Recoverable) {
            ((Recoverable) opened).addRecoveryListener(new RecoveryListener() {
              @Override
              public void handleRecoveryStarted(Recoverable recoverable) {
                recovering = true;
              }

              @Override
              public void handleRecovery(Recoverable recoverable) {
                recovering = false; // called after channels and consumers are recovered
              }
            });
          }
          opened.addBlockedListener(reason -> blockedReason = reason, () -> blockedReason = null);
          connection = opened;
        } catch (IOException | TimeoutException | RuntimeException e) {
          RpcException failure = new RpcException(Code.UNAVAILABLE, "cannot connect to " + brokerDescription + ": "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
          if (background) {
            // recorded before the lock is released, so every call waiting for this attempt sees it
            backgroundFailure = failure;
            backgroundFailureNanos = System.nanoTime();
          }
          throw failure;
        }
      }
      return connection;
    }
  }

  /**
   * A connection that amqp-client will recover is recovering from now on; one it will not (a
   * user's factory with recovery off) is dropped, so that the next call connects afresh.
   */
  private void lost(Connection lostConnection) {
    if (lostConnection instanceof Recoverable) {
      recovering = true;
    } else {
      synchronized (this) {
        if (connection == lostConnection) {
          connection = null;
          for (int i = 0; i < callChannels.length(); i++) {
            callChannels.set(i, null);
          }
        }
      }
    }
  }

  private void replyQueueRenamed(String oldName, String newName) {
    for (int i = 0; i < callChannels.length(); i++) {
      CallChannel channel = callChannels.get(i);
      if (channel != null) {
        channel.replyQueueRenamed(oldName, newName);
      }
    }
  }

  /**
   * The factory's own thread factory if the application set one (amqp-client makes all its threads
   * with it, e.g. in a managed environment), else named daemon threads.
   */
  private static ThreadFactory consumerThreadFactory(ConnectionFactory factory) {
    ThreadFactory configured = factory.getThreadFactory();
    boolean jdkDefault = configured == null
        || configured.getClass().getName().equals("java.util.concurrent.Executors$DefaultThreadFactory");
    return jdkDefault ? Threads.daemon("rabbit-rpc-consumer") : configured;
  }

  /** Whether the broker is RabbitMQ, which reads {@code expiration} as a TTL and has direct reply-to. */
  boolean isRabbitMq() {
    connection();
    return rabbitMq;
  }

  /** The call channel for the calling thread; threads are spread over the pool by id. */
  CallChannel callChannel() {
    return callChannel((int) (Thread.currentThread().getId() % callChannels.length()));
  }

  private CallChannel callChannel(int index) {
    CallChannel channel = callChannels.get(index);
    if (channel != null && channel.isOpen()) {
      return channel;
    }
    synchronized (this) {
      channel = callChannels.get(index);
      if (channel == null || !channel.isOpen() && connection().isOpen()) {
        try {
          channel = CallChannel.open(connection().createChannel(), router, isRabbitMq());
        } catch (IOException e) {
          throw new RpcException(Code.UNAVAILABLE, "cannot open a channel to " + brokerDescription + ": "
              + e.getMessage(), e);
        }
        callChannels.set(index, channel);
      }
      return channel;
    }
  }

  Channel openChannel() throws IOException {
    Channel channel = connection().createChannel();
    if (channel == null) {
      throw new IOException("the broker has no channel left for this connection");
    }
    return channel;
  }

  synchronized void close() {
    closed = true;
    Connection current = connection;
    if (current != null) {
      try {
        current.close(5_000);
      } catch (IOException | RuntimeException alreadyClosed) {
        // closing is best effort
      }
    }
    if (consumerThreads != null) {
      consumerThreads.shutdown(); // amqp-client never shuts down an executor it was given
    }
  }
}
