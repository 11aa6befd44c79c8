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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's one AMQP connection, opened lazily on first use, with its small pool of
 * {@link CallChannel}s. The connection recovers automatically (amqp-client's recovery); losing it
 * fails every call in flight with {@code UNAVAILABLE} at once.
 *
 * <p>Thread-safe.
 */
final class AmqpTransport implements ClientTransport {
  private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);
  private final ConnectionFactory factory;
  private final List<Address> addresses;
  /** Where the broker is, without credentials: safe for logs and messages. */
  final String brokerDescription;
  private final String connectionName;
  /** Told of replies, returns and lost channels and connections: the router, seen through its narrow interface. */
  private final ReplyListener router;
  /** One-way requests sent without confirms that the broker returned, on any of the call channels. */
  final ReturnedOneWays returnedOneWays = new ReturnedOneWays();
  /** The call channels and the one-way channel on the current connection. */
  private final ClientChannels channels;
  /** Runs the connection's consumers ({@link ConsumerThreads}); created with the first connection. */
  private ExecutorService consumerThreads;
  private volatile Connection connection;
  private volatile boolean rabbitMq;
  /** The broker's version, as its connection.start said it ("4.3.6"), or null. */
  private volatile String brokerVersion;
  private volatile boolean closed;
  /** Why the broker blocks publishing (a resource alarm) on the current connection, or null. */
  private volatile String blockedReason;
  /** How long a failed attempt that no caller has seen yet answers a new call instead of a new attempt. */
  static final long FRESH_FAILURE_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** Guards {@link #attempt}; never held while connecting or doing any other I/O. */
  private final Object attemptLock = new Object();
  /** The one connection attempt in progress, or the last one, failed; guarded by {@link #attemptLock}. */
  private Attempt attempt;
  /** Callers waiting for an attempt right now, for tests. */
  private final AtomicInteger waiting = new AtomicInteger();
  /** Between losing the connection and amqp-client's recovery of it (channels and consumers). */
  private volatile boolean recovering;
  private volatile long recoveringSinceNanos;
  /**
   * How long recovery may last before this transport concludes that amqp-client gave up on it (it
   * stops for good on an interrupt or an {@code IllegalStateException}, and says nothing): then
   * the connection is dropped and the next call connects afresh. A recovery that is merely slow
   * (the broker is down) loses nothing by this: calls fail fast meanwhile either way.
   */
  private final long recoveryBudgetNanos;
  /** How long {@link #openChannel()} and {@link #isRabbitMq()} wait for a connection (exports). */
  private final long connectWaitNanos;
  private final Deadline.Ticker ticker;
  /** Told when a connection is given up (servers then serve again on a new one). */
  private final List<Runnable> abandonedListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** The largest request body: the client's setting, or the broker's limit once it refused a larger one. */
  final MessageSizeLimit messageSizeLimit;

  AmqpTransport(ConnectionFactory factory, List<Address> addresses, String connectionName, int channels,
      ReplyListener router, Duration connectWait, MessageSizeLimit messageSizeLimit, Deadline.Ticker ticker) {
    this.factory = factory;
    this.messageSizeLimit = messageSizeLimit;
    this.addresses = addresses;
    this.brokerDescription = BrokerAddresses.describe(factory, addresses);
    this.connectionName = connectionName;
    this.router = router;
    this.channels = new ClientChannels(channels, router, returnedOneWays, messageSizeLimit, brokerDescription);
    this.connectWaitNanos = connectWait.toNanos();
    this.ticker = ticker;
    long attemptNanos = TimeUnit.MILLISECONDS.toNanos(
        Math.max(0, factory.getConnectionTimeout()) + Math.max(0, factory.getHandshakeTimeout())
            + Math.max(0, factory.getNetworkRecoveryInterval()));
    this.recoveryBudgetNanos = Math.max(TimeUnit.SECONDS.toNanos(60), 2 * attemptNanos);
  }

  /**
   * Fails fast while the broker blocks publishing (memory or disk alarm): a publish would
   * otherwise block the caller for as long as the alarm lasts.
   */
  @Override
  public void checkNotBlocked() {
    String reason = blockedReason;
    if (reason != null) {
      throw new RpcException(Code.UNAVAILABLE, "the broker " + brokerDescription + " blocks publishing: " + reason);
    }
    if (recovering) {
      Connection current = connection;
      if (current != null && ticker.nanoTime() - recoveringSinceNanos > recoveryBudgetNanos && !current.isOpen()) {
        abandon(current);
        throw new RpcException(Code.UNAVAILABLE, "the recovery of the connection to " + brokerDescription
            + " did not finish in " + TimeUnit.NANOSECONDS.toSeconds(recoveryBudgetNanos)
            + " s; the next call connects afresh");
      }
      // Until recovery has re-registered the reply consumers, a request with reply_to
      // amq.rabbitmq.reply-to would make RabbitMQ close the channel (406 "fast reply consumer does not exist").
      throw new RpcException(Code.UNAVAILABLE, "the connection to " + brokerDescription + " is being recovered");
    }
  }

  /** Whether a connection is open or being recovered; a call then needs no connection attempt. */
  @Override
  public boolean isConnected() {
    return connection != null;
  }

  /** Whether a connection is open and not being recovered: calls can be sent now. */
  boolean isUsable() {
    Connection current = connection;
    return current != null && current.isOpen() && !recovering && !closed;
  }

  /**
   * Starts connecting on a thread of its own, unless connected or connecting already: a new proxy's
   * first call then finds the connection and its call channels ready, while its own thread
   * prepares the call meanwhile. Calls that come while it runs wait for it (see {@link #attempt()}).
   */
  void connectInBackground() {
    if (connection == null && !closed) {
      attempt();
    }
  }

  /**
   * The connection attempt that a caller without a connection waits for: the one running, or a
   * new one. A failed attempt that no caller has waited for yet is still the answer during
   * {@link #FRESH_FAILURE_NANOS} after it failed, so that a call right after the background
   * attempt of {@code proxy()} failed learns why, rather than trying again at once; after that, or
   * once a caller has seen the failure, the next caller starts a new attempt. The attempt itself
   * runs on a thread of its own, never under a lock, so each caller waits at most its own deadline.
   */
  CompletableFuture<Connection> attempt() {
    Attempt started;
    synchronized (attemptLock) {
      if (closed) {
        return CompletableFuture.failedFuture(new RpcException(Code.CANCELLED, "the client is closed"));
      }
      Connection current = connection;
      if (current != null) {
        return CompletableFuture.completedFuture(current);
      }
      Attempt last = attempt;
      if (last != null && (!last.isDone() || last.isUnseenFreshFailure(ticker.nanoTime()))) {
        return last;
      }
      started = new Attempt();
      attempt = started;
    }
    Threads.daemon("rabbit-rpc-connect").newThread(() -> run(started)).start();
    return started;
  }

  /** One connection attempt: the connection, then its call channels, so that the first call finds them. */
  private void run(Attempt attempt) {
    Connection opened;
    try {
      opened = open();
    } catch (IOException | TimeoutException | RuntimeException e) {
      attempt.failedAtNanos = ticker.nanoTime();
      attempt.completeExceptionally(new RpcException(Code.UNAVAILABLE, "cannot connect to " + brokerDescription
          + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e));
      return;
    }
    synchronized (attemptLock) {
      if (closed) {
        closeQuietly(opened);
        attempt.completeExceptionally(new RpcException(Code.CANCELLED, "the client is closed"));
        return;
      }
      connection = opened;
    }
    try {
      for (int i = 0; i < channels.size(); i++) {
        channels.callChannel(i, opened, rabbitMq);
      }
    } catch (RuntimeException e) {
      // the connection is fine; a call retries the channel and reports its failure
      log.debug("opening the call channels on {} failed: {}", brokerDescription, e.getMessage());
    }
    attempt.complete(opened);
  }

  /** Opens a connection and registers what the transport must hear of it. */
  private Connection open() throws IOException, TimeoutException {
    synchronized (attemptLock) {
      if (consumerThreads == null) {
        consumerThreads = ConsumerThreads.create(factory);
      }
    }
    Connection opened = addresses.isEmpty()
        ? factory.newConnection(consumerThreads, connectionName)
        : factory.newConnection(consumerThreads, BrokerAddresses.inListedOrder(addresses), connectionName);
    Object product = opened.getServerProperties() == null ? null : opened.getServerProperties().get("product");
    rabbitMq = product != null && product.toString().contains("RabbitMQ");
    Object version = opened.getServerProperties() == null ? null : opened.getServerProperties().get("version");
    brokerVersion = version == null ? null : version.toString();
    // A new connection starts with a clean slate: no alarm, no recovery, whatever the last one left.
    blockedReason = null;
    recovering = false;
    if (opened instanceof AutorecoveringConnection) {
      // Recovery redeclares a server-named reply queue (brokers without direct reply-to) under a new name.
      ((AutorecoveringConnection) opened).addQueueRecoveryListener(channels::replyQueueRenamed);
    }
    opened.addShutdownListener(cause -> {
      if (!cause.isInitiatedByApplication()) {
        lost(opened);
        router.connectionLost(method -> new RpcException(Code.UNAVAILABLE,
            method + ": connection to " + brokerDescription + " lost: " + cause.getMessage()));
      }
    });
    if (opened instanceof Recoverable) {
      ((Recoverable) opened).addRecoveryListener(new RecoveryListener() {
        @Override
        public void handleRecoveryStarted(Recoverable recoverable) {
          startRecovering();
        }

        @Override
        public void handleRecovery(Recoverable recoverable) {
          recovering = false; // called after channels and consumers are recovered
        }
      });
    }
    opened.addBlockedListener(reason -> blockedReason = reason, () -> blockedReason = null);
    return opened;
  }

  /**
   * Waits for the connection until {@code deadline}: at once if connected, else for the attempt
   * in progress (or a new one).
   *
   * @throws RpcException {@code DEADLINE_EXCEEDED} if the deadline passes first (the attempt goes
   *     on for later calls), {@code UNAVAILABLE} if the attempt failed, {@code CANCELLED} if the
   *     client is closed or the thread interrupted
   */
  Connection connection(Deadline deadline) {
    Connection current = connection;
    if (current != null) {
      return current;
    }
    CompletableFuture<Connection> pending = attempt();
    waiting.incrementAndGet();
    try {
      return pending.get(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (pending instanceof Attempt) {
        ((Attempt) pending).seen = true;
      }
      RpcException failure = (RpcException) e.getCause();
      throw new RpcException(failure.code(), failure.getMessage(), failure);
    } catch (java.util.concurrent.TimeoutException e) {
      throw RpcException.deadlineExceeded("the deadline passed while connecting to " + brokerDescription
          + " (still trying)", RpcException.DeadlineCause.NOT_SENT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RpcException(Code.CANCELLED, "interrupted while connecting to " + brokerDescription, e);
    } finally {
      waiting.decrementAndGet();
    }
  }

  /**
   * The connection, for a caller that must not block (an async call): completes on the connecting
   * thread, with the attempt's failure if it fails.
   */
  @Override
  public CompletableFuture<Connection> connectAsync() {
    CompletableFuture<Connection> pending = attempt();
    if (pending instanceof Attempt) {
      pending.whenComplete((connection, failure) -> {
        if (failure != null) {
          ((Attempt) pending).seen = true;
        }
      });
    }
    return pending;
  }

  /** Callers waiting for a connection attempt now. */
  int waitingForConnection() {
    return waiting.get();
  }

  /** A connection attempt; a failure that no caller has seen is reported to the next one. */
  private static final class Attempt extends CompletableFuture<Connection> {
    volatile long failedAtNanos;
    volatile boolean seen;

    boolean isUnseenFreshFailure(long nowNanos) {
      return isCompletedExceptionally() && !seen && nowNanos - failedAtNanos < FRESH_FAILURE_NANOS;
    }
  }

  private void startRecovering() {
    recoveringSinceNanos = ticker.nanoTime();
    recovering = true;
    blockedReason = null; // the alarm was the lost connection's; a recovered one is told afresh
  }

  /**
   * amqp-client seems to have given up recovering {@code lost}: drop it (abort stops its recovery
   * if it is still trying), so that the next call connects afresh.
   */
  private void abandon(Connection lost) {
    synchronized (attemptLock) {
      if (connection != lost) {
        return;
      }
      connection = null;
      channels.forget();
      recovering = false;
      blockedReason = null;
    }
    log.warn("the recovery of the connection to {} did not finish in {} s; connecting afresh", brokerDescription,
        TimeUnit.NANOSECONDS.toSeconds(recoveryBudgetNanos));
    lost.abort(1_000);
    for (Runnable listener : abandonedListeners) {
      listener.run();
    }
  }

  /** Runs {@code listener} whenever this transport gives up a connection whose recovery never ended. */
  void onConnectionAbandoned(Runnable listener) {
    abandonedListeners.add(listener);
  }

  void removeConnectionAbandoned(Runnable listener) {
    abandonedListeners.remove(listener);
  }

  /**
   * A connection that amqp-client will recover is recovering from now on; one it will not (a
   * user's factory with recovery off) is dropped, so that the next call connects afresh.
   */
  private void lost(Connection lostConnection) {
    if (lostConnection instanceof Recoverable) {
      startRecovering();
    } else {
      synchronized (attemptLock) {
        if (connection == lostConnection) {
          connection = null;
          blockedReason = null;
          channels.forget();
        }
      }
    }
  }

  /**
   * Whether the broker is RabbitMQ, which reads {@code expiration} as a TTL and has direct
   * reply-to; connects first if needed, waiting at most the client's default timeout.
   */
  boolean isRabbitMq() {
    connection(Deadline.after(connectWaitNanos, TimeUnit.NANOSECONDS, ticker));
    return rabbitMq;
  }

  /** The connected broker's version ("4.3.6"), or null; only meaningful once connected. */
  String brokerVersion() {
    return brokerVersion;
  }

  /** Whether the connected broker is RabbitMQ; only meaningful once connected. */
  @Override
  public boolean connectedToRabbitMq() {
    return rabbitMq;
  }

  @Override
  public String brokerDescription() {
    return brokerDescription;
  }

  @Override
  public RequestChannel requestChannel(Deadline deadline) {
    return callChannel(deadline);
  }

  @Override
  public OneWayPublisher oneWayPublisher(Deadline deadline) {
    return oneWayChannel(deadline);
  }

  /** The call channel for the calling thread, connecting first within {@code deadline} if needed. */
  CallChannel callChannel(Deadline deadline) {
    CallChannel channel = channels.openForThisThread();
    if (channel != null) {
      return channel;
    }
    return channels.callChannel(channels.slotOfThisThread(), connection(deadline), rabbitMq);
  }

  /** The confirm-mode channel for {@code @OneWay} requests, connecting first within {@code deadline} if needed. */
  OneWayChannel oneWayChannel(Deadline deadline) {
    return channels.oneWayChannel(connection(deadline));
  }

  /** A new channel, connecting first if needed, waiting at most the client's default timeout. */
  Channel openChannel() throws IOException {
    Channel channel = connection(Deadline.after(connectWaitNanos, TimeUnit.NANOSECONDS, ticker)).createChannel();
    if (channel == null) {
      throw new IOException("the broker has no channel left for this connection");
    }
    return channel;
  }

  void close() {
    Connection current;
    synchronized (attemptLock) {
      closed = true;
      current = connection;
    }
    if (current != null) {
      closeQuietly(current);
    }
    if (consumerThreads != null) {
      consumerThreads.shutdown(); // amqp-client never shuts down an executor it was given
    }
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close(5_000);
    } catch (IOException | RuntimeException alreadyClosed) {
      // closing is best effort
    }
  }
}
