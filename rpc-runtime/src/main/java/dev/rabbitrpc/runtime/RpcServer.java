package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.ShutdownSignalException;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exported service: an implementation serving the requests of its queue until closed.
 *
 * <pre>{@code
 * try (RpcServer server = RpcServer.export(FibonacciService.class, new FibonacciServiceImpl())) {
 *   ... // serves until closed
 * }
 * }</pre>
 *
 * <p>The server takes requests from its queue on one channel, with a prefetch of
 * {@link RpcClient.Builder#prefetch(int)} requests, and runs each on one of its {@link
 * RpcClient.Builder#workers(int)} worker threads. The default prefetch adapts: as many as the
 * workers at first and whenever a handler is slow, so that the server never holds a request it
 * cannot start at once — a request never waits behind a slow one while another server on the
 * queue is free (RabbitMQ's "fair dispatch") — and 8 times that while its handlers are all short,
 * so that the broker streams requests to it. Each request is decoded, run, answered on its
 * {@code reply_to} with its {@code correlation_id}, then acknowledged. Bad requests get a typed
 * error reply; handler exceptions become {@code APPLICATION_ERROR} replies; anything else thrown
 * while a request is handled (even an {@link Error}, such as a {@link StackOverflowError} in a
 * deserializer) is answered {@code INTERNAL}; nothing is requeued.
 * A request without {@code reply_to} runs only if its method is {@code @OneWay} (its outcome is not
 * sent; a failure is logged and counted, {@link #failedOneWayRequests()}); any other is rejected
 * without requeue (dead-lettered if the queue has a dead-letter exchange).
 *
 * <p>A sharded service ({@code @RpcService(shards = N)}) is served on each of its shard queues by
 * default, or on a subset ({@link RpcClient#exportShards}); each shard has its own intake channel
 * and consumer, the prefetch split between them (see {@link #queues()}), and is declared, served
 * and recovered on its own: a shard whose queue is deleted is declared and consumed again while
 * the others keep serving.
 *
 * <p>The queue is served as it is if it exists (declared by an operator, another program or
 * another server); otherwise the server declares it durable (docs/PROTOCOL.md, "Request queues"). If the
 * broker cancels the server's consumers (the queue was deleted) or its connection is lost and
 * amqp-client will not recover it (a connection factory with automatic recovery off), the server
 * declares and consumes again, with back-off, until it is closed: see {@link #state()}.
 *
 * <p>This class is thread-safe; {@link #close()} may be called from any thread, more than once.
 */
public final class RpcServer implements AutoCloseable {
  /**
   * Where a server is in its life. {@code STARTING} until it consumes; {@code SERVING};
   * {@code RECOVERING} after it lost its consumers or connection, until it consumes again;
   * {@code CLOSING} while {@link #close()} lets the requests it holds finish; {@code CLOSED}.
   */
  public enum State { STARTING, SERVING, RECOVERING, CLOSING, CLOSED }

  private static final Logger log = LoggerFactory.getLogger(RpcServer.class);
  private static final long FIRST_RETRY_MILLIS = 100;
  private static final long MAX_RETRY_MILLIS = 5_000;
  /** Passive, then active declarations when others declare the queue differently in between. */
  private static final int DECLARE_ATTEMPTS = 3;
  private static final int NOT_FOUND = 404;
  private static final int PRECONDITION_FAILED = 406;

  private final RpcClient client;
  private final Dispatcher dispatcher;
  private final int workers;
  private final int prefetch;
  /** Whether the prefetch is the default, which {@link AdaptivePrefetch} drives; else it is kept as set. */
  private final boolean adaptivePrefetch;
  private final Duration shutdownGrace;
  private final QueueSettings queueSettings;
  private final AtomicInteger inFlight = new AtomicInteger();
  /** The worker threads that run requests; shut down once the server is closed. */
  private final java.util.concurrent.ThreadPoolExecutor handlers;
  private final java.util.concurrent.atomic.LongAdder failedOneWay = new java.util.concurrent.atomic.LongAdder();
  /** Notified when a request is settled or the intake stops consuming; close() waits on it. */
  private final Object drained = new Object();
  /** Intakes whose channels are open: those consuming and those retired by a recovery but still finishing requests. */
  private final List<Intake> open = new CopyOnWriteArrayList<>();
  /** The intakes consuming now, at most one per served shard (fewer while recovering). Guarded by this. */
  private final List<Intake> consuming = new ArrayList<>();
  /** The shards this server serves: every shard of the service, or the subset it was exported for. */
  private final List<ServiceDescriptor> served;
  /** Whether a recovery of the whole server (every shard, the control channel) is under way. Guarded by this. */
  private boolean recoveringAll;
  private final CountDownLatch closeSignal = new CountDownLatch(1);
  private final AtomicBoolean finishing = new AtomicBoolean();
  private AmqpTransport transport;
  /** Declares the queue and receives cancel notices, apart from the intake so that a burst of requests never delays a cancel. */
  private Channel control;
  private volatile State state = State.STARTING;
  private volatile boolean closed;
  /** When {@link #beginClose()} ran ({@link System#nanoTime()}): the grace is counted from it. Set before {@link #closed}. */
  private volatile long closeBeganNanos;
  private volatile boolean rejectToDeadLetter = true;
  /** Asks the broker for a consumer timeout as long as the handlers may need, where it takes one. */
  private final ConsumerTimeout consumerTimeout;
  /** Whether the broker takes {@code x-consumer-timeout} on a consumer (RabbitMQ 3.12+). */
  private volatile boolean perConsumerTimeout;
  /** The queues that did not exist and this server declared, the last time it declared each. */
  private final java.util.Set<String> createdQueues = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** @param shards the shards to serve, valid and distinct (RpcClient checks them) */
  RpcServer(RpcClient client, Dispatcher dispatcher, int[] shards, int workers, int prefetch, boolean adaptivePrefetch,
      Duration shutdownGrace, QueueSettings queueSettings) {
    this.client = client;
    this.dispatcher = dispatcher;
    List<ServiceDescriptor> shardViews = new ArrayList<>();
    for (int shard : shards) {
      shardViews.add(dispatcher.service.shard(shard));
    }
    this.served = List.copyOf(shardViews);
    this.workers = workers;
    this.prefetch = prefetch;
    this.adaptivePrefetch = adaptivePrefetch;
    this.shutdownGrace = shutdownGrace;
    this.queueSettings = queueSettings;
    this.consumerTimeout = new ConsumerTimeout(dispatcher.service.methods(), shutdownGrace);
    // At most `prefetch` requests are delivered and unsettled, so the queue of unstarted ones is
    // bounded by it; idle workers time out, so a quiet server holds no threads.
    this.handlers = new java.util.concurrent.ThreadPoolExecutor(workers, workers, 60, TimeUnit.SECONDS,
        new java.util.concurrent.LinkedBlockingQueue<>(),
        Threads.daemon("rabbit-rpc-worker-" + dispatcher.service.queue));
    this.handlers.allowCoreThreadTimeOut(true);
  }

  /**
   * Serves {@code implementation} on the process-wide default client (see {@link RpcProxy}).
   *
   * @throws IllegalArgumentException if {@code service} is not a valid service interface
   * @throws RpcException {@code UNAVAILABLE} if the broker cannot be reached; {@code INTERNAL}
   *     if it refuses the queue (the message has its reply code and text)
   */
  public static <T> RpcServer export(Class<T> service, T implementation) {
    return RpcClient.defaultClient().export(service, implementation);
  }

  /**
   * The service's queue: the one this server consumes, or for a sharded service the name its shard
   * queues are named after ({@code orders} for {@code orders.0} to {@code orders.3}); a proxy made
   * with {@code client.proxy(Svc.class, server.queue())} calls this service.
   */
  public String queue() {
    return dispatcher.service.serviceQueue;
  }

  /**
   * The queues this server consumes, in shard order: {@link #queue()} alone for a service of one
   * shard; else the queues of the shards it serves. Each has its own consumer, whose prefetch is its
   * share of {@link RpcClient.Builder#prefetch(int)}: the total split evenly, the first shards
   * taking one more where it does not divide, and at least one each. So a server never holds more
   * requests than its prefetch, unless it serves more shards than that (then one per shard).
   */
  public List<String> queues() {
    List<String> queues = new ArrayList<>(served.size());
    for (ServiceDescriptor shard : served) {
      queues.add(shard.queue);
    }
    return queues;
  }

  /** The prefetch of the consumer of the {@code index}-th served shard: its share of the server's total. */
  static int prefetchShare(int total, int shards, int index) {
    return Math.max(1, total / shards + (index < total % shards ? 1 : 0));
  }

  /** Where the server is in its life; thread-safe, a read of a volatile field. */
  public State state() {
    return state;
  }

  /**
   * {@code @OneWay} requests that failed: not run (redelivered, expired, bad arguments) or whose
   * handler threw. Each is also logged at WARN; nobody else hears of it.
   */
  public long failedOneWayRequests() {
    return failedOneWay.sum();
  }

  /** Requests answered with {@code DEADLINE_EXCEEDED} without running, because their deadline had passed. */
  public long expiredRequests() {
    return dispatcher.expiredRequests();
  }

  /**
   * Requests answered with {@code CANCELLED} without running, because their caller's cancel notice
   * had reached this server before their turn came.
   */
  public long cancelledRequests() {
    return dispatcher.cancelledRequests();
  }

  /** Why a request was refused before any method ran; see {@link #rejectedRequests(Rejection)}. */
  public enum Rejection {
    /** Its body was larger than {@link RpcClient.Builder#maxMessageSize(int)}: {@code RESOURCE_EXHAUSTED}. */
    TOO_LARGE,
    /** It named a method the service does not have: {@code UNKNOWN_METHOD}. */
    UNKNOWN_METHOD,
    /**
     * It could not be read: an unsupported content type, a protocol version or header this server
     * does not speak, a malformed body or arguments of the wrong type ({@code PROTOCOL},
     * {@code INVALID_ARGUMENT}).
     */
    UNREADABLE
  }

  /**
   * Requests refused for {@code why} before any method ran (answered with an error, or rejected if
   * they had no {@code reply_to}); expired and cancelled requests are counted apart
   * ({@link #expiredRequests()}, {@link #cancelledRequests()}). Thread-safe, a sum of counters.
   */
  public long rejectedRequests(Rejection why) {
    switch (why) {
      case TOO_LARGE:
        return dispatcher.tooLargeRequests();
      case UNKNOWN_METHOD:
        return dispatcher.unknownMethodRequests();
      default:
        return dispatcher.unreadableRequests();
    }
  }

  /**
   * The requests its consumers may hold now, all shards together: the prefetch, as set or as
   * {@link AdaptivePrefetch} has it at the defaults (tests observe it).
   */
  synchronized int prefetchNow() {
    int total = 0;
    for (Intake intake : consuming) {
      total += intake.prefetchNow();
    }
    return total;
  }

  /** The cancel notices this server has received and remembers (tests observe it). */
  Cancellations cancellations() {
    return dispatcher.cancellations;
  }

  synchronized void start(AmqpTransport transport) {
    this.transport = transport;
    // amqp-client recovers the workers' channels with the connection, unless the transport gives up
    // on that recovery and aborts the connection: then the server serves again on a new one itself.
    transport.onConnectionAbandoned(abandoned);
    try {
      rejectToDeadLetter = transport.isRabbitMq();
      perConsumerTimeout = rejectToDeadLetter && ConsumerTimeout.perConsumer(transport.brokerVersion());
      if (rejectToDeadLetter && !perConsumerTimeout && consumerTimeout.exceedsBroker()) {
        log.warn("{}: {} may run longer than RabbitMQ's default consumer_timeout ({} min), and RabbitMQ {} takes no"
            + " per-consumer value (3.12 and later do): raise consumer_timeout on the node, or a request that runs"
            + " longer than it costs the server's channel, and its requests are redelivered", this,
            consumerTimeout.methodsBeyondBroker(shutdownGrace),
            TimeUnit.MILLISECONDS.toMinutes(consumerTimeout.brokerMillis()), transport.brokerVersion());
      }
      serve();
      state = State.SERVING;
    } catch (IOException | RuntimeException e) {
      closed = true;
      state = State.CLOSED;
      closeChannels();
      transport.removeConnectionAbandoned(abandoned);
      throw failure(e);
    }
  }

  /** Declares the queues (or finds them), listens for cancels and starts consuming each; under this lock. */
  private void serve() throws IOException {
    control = transport.openChannel();
    for (ServiceDescriptor shard : served) {
      declareQueue(shard.queue);
    }
    listenForCancels();
    for (int i = 0; i < served.size(); i++) {
      consume(i);
    }
  }

  /** Starts consuming the {@code index}-th served shard on a channel of its own; under this lock. */
  private void consume(int index) throws IOException {
    int share = prefetchShare(prefetch, served.size(), index);
    Intake intake = new Intake(transport.openChannel(), served.get(index), share,
        adaptivePrefetch ? new AdaptivePrefetch(share) : null);
    open.add(intake);
    consuming.add(intake);
    try {
      intake.start();
    } catch (IOException e) {
      BrokerRefusal refusal = BrokerRefusal.of(e);
      if (!perConsumerTimeout || refusal == null || !refusal.replyText.contains(ConsumerTimeout.ARGUMENT)) {
        throw e;
      }
      // RabbitMQ 4.x takes x-consumer-timeout on consumers of quorum queues only; a classic queue
      // refuses it (406, closing the channel): consume without it, as on a broker that takes none.
      perConsumerTimeout = false;
      open.remove(intake);
      consuming.remove(intake);
      closeQuietly(intake.channel);
      log.warn("{}: {} may run longer than the broker's consumer timeout ({} ms), and {} refuses a per-consumer"
          + " value for this queue ({}); raise its consumer timeout (the consumer-timeout policy, or consumer_timeout"
          + " on the node), or a request that runs longer costs the server's channel, and its requests are redelivered",
          this, consumerTimeout.methodsBeyondBroker(shutdownGrace), consumerTimeout.brokerMillis(),
          served.get(index).queue, refusal);
      consume(index);
    }
  }

  /**
   * Serves the queue as it is if it exists, whatever its arguments; declares it with this client's
   * settings if not. A passive declaration of a missing queue closes its channel (404), and so does
   * an active one that conflicts (406), so both run on channels of their own. Two servers that both
   * find no queue both declare it, alike; if another program declared it differently in between
   * (406), its queue is served.
   */
  private void declareQueue(String queue) throws IOException {
    for (int attempt = 1; ; attempt++) {
      Channel passive = transport.openChannel();
      try {
        passive.queueDeclarePassive(queue);
        closeQuietly(passive);
        createdQueues.remove(queue);
        return;
      } catch (IOException e) {
        closeQuietly(passive); // closed by the 404: forgotten, else amqp-client would recover it
        if (replyCode(e) != NOT_FOUND) {
          throw e;
        }
      }
      Channel active = transport.openChannel();
      try {
        active.queueDeclare(queue, true, false, false, queueSettings.arguments(dispatcher.service.shards > 1));
        closeQuietly(active);
        createdQueues.add(queue);
        return;
      } catch (IOException e) {
        closeQuietly(active);
        if (replyCode(e) != PRECONDITION_FAILED || attempt == DECLARE_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  /**
   * Receives the cancel notices for this server's queues on an exclusive queue, bound to the cancel
   * exchange with each queue's name (docs/PROTOCOL.md §7).
   */
  private void listenForCancels() throws IOException {
    control.exchangeDeclare(Cancellations.EXCHANGE, Cancellations.EXCHANGE_TYPE, false, false, null);
    String cancels = control.queueDeclare("", false, true, true, null).getQueue();
    for (ServiceDescriptor shard : served) {
      control.queueBind(cancels, Cancellations.EXCHANGE, shard.queue);
    }
    control.basicConsume(cancels, true, new DefaultConsumer(control) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        dispatcher.cancellations.onNotice(properties.getHeaders());
      }
    });
  }

  /**
   * The channel that takes requests from the queue and hands each to a worker thread; their replies
   * and acks go out on it. Its lock serialises the channel's publishes and acks, which come from
   * every worker and from whatever thread completes an async handler's future.
   */
  private final class Intake extends DefaultConsumer {
    private final Channel channel;
    /** The shard whose queue this intake consumes. */
    private final ServiceDescriptor shard;
    /** Its share of the server's prefetch: its consumer's at the start. */
    private final int prefetch;
    /** Drives the prefetch at the defaults; null for a prefetch set explicitly. */
    private final AdaptivePrefetch policy;
    /** The prefetch of the consumer now; guarded by this. */
    private int applied;
    /** Cancelled or retired: never consumes again; guarded by this. */
    private boolean stopped;
    /** The consumer that takes requests now (a prefetch change replaces it). */
    private volatile String consumerTag;
    /** Consumers this intake cancels to replace them: their cancel-ok (or the broker's cancel) is not a stop. */
    private final java.util.Set<String> replaced = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Requests delivered and not yet settled; guarded by this. */
    private int held;
    /** A recovery replaced this intake: its channel closes once its requests are settled; guarded by this. */
    private boolean retired;
    /** Until the broker confirms the cancel (or the consumer or channel is gone), deliveries may still arrive. */
    private volatile boolean receiving;
    /**
     * The requests held now whose callers read {@code taken} notices and have not had one, by
     * delivery tag: once the server is closing, each is told that this server has its request and
     * may answer it within the grace, so that no consumer probe takes it for a request left in a
     * queue nobody consumes (docs/PROTOCOL.md, "Closing a server"). Guarded by this.
     */
    private final Map<Long, AMQP.BasicProperties> owedNotices = new java.util.HashMap<>();

    Intake(Channel channel, ServiceDescriptor shard, int prefetch, AdaptivePrefetch policy) {
      super(channel);
      this.channel = channel;
      this.shard = shard;
      this.prefetch = prefetch;
      this.policy = policy;
    }

    void start() throws IOException {
      channel.basicQos(prefetch); // per consumer: RabbitMQ's global (per-channel) QoS is not used
      receiving = true;
      synchronized (this) {
        applied = prefetch;
        consumerTag = consume();
      }
    }

    /** A consumer on the queue, asking for a longer consumer timeout where the handlers need it and the broker takes one. */
    private String consume() throws IOException {
      Map<String, Object> arguments = consumerTimeout.consumerArguments(perConsumerTimeout);
      return arguments == null ? channel.basicConsume(queue(), false, this)
          : channel.basicConsume(queue(), false, "", false, false, arguments, this);
    }

    /** The prefetch of its consumer now. */
    synchronized int prefetchNow() {
      return applied;
    }

    /**
     * A request was handled in {@code nanos}: tells the policy, and if it wants another prefetch,
     * applies it. RabbitMQ sets a consumer's prefetch when the consumer is
     * made, so the intake consumes again with the new one, then cancels the old consumer; requests
     * the old one was given still run and are acked on this channel, and its cancel-ok is not a stop.
     */
    void handled(long nanos) {
      if (policy == null || !policy.handled(nanos)) {
        return;
      }
      synchronized (this) {
        int wanted = policy.wanted(); // the latest wish, whichever thread's change gets here first
        if (stopped || wanted == applied || !channel.isOpen()) {
          return;
        }
        String old = consumerTag;
        int was = applied;
        try {
          channel.basicQos(wanted);
          consumerTag = consume();
          applied = wanted;
          replaced.add(old);
          channel.basicCancel(old);
          log.debug("{}: prefetch {} (was {}) after a request handled in {} µs", queue(), wanted, was, nanos / 1000);
        } catch (IOException | RuntimeException e) {
          // The channel is closing (its shutdown signal starts the recovery) or the old consumer is gone.
          log.debug("prefetch change on {} failed: {}", queue(), describe(e));
        }
      }
    }

    /** The queue this intake consumes. */
    String queue() {
      return shard.queue;
    }

    /** On amqp-client's consumer thread: hands the request to a worker, so the next one is read at once. */
    @Override
    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
      inFlight.incrementAndGet();
      long deliveryTag = envelope.getDeliveryTag();
      boolean owed = hasReplyTo(properties.getReplyTo()) && WireHeaders.wantsTakenNotice(properties.getHeaders());
      synchronized (this) {
        held++;
        if (owed) {
          owedNotices.put(deliveryTag, properties);
        }
      }
      if (owed && closed) {
        noticeTaken(); // delivered after the close began (before the broker confirmed the cancel)
      }
      try {
        handlers.execute(() -> handle(envelope, properties, body));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // Only once closed, after the grace: the channel closes unacknowledged and the broker requeues it.
        settle(deliveryTag, () -> { });
      }
    }

    /**
     * Tells each caller whose request this intake holds and who has not been told yet that this
     * server took it and may answer it in what is left of the grace; best effort.
     */
    synchronized void noticeTaken() {
      if (owedNotices.isEmpty() || !channel.isOpen()) {
        return;
      }
      long graceMillis = Math.max(0, TimeUnit.NANOSECONDS.toMillis(shutdownGrace.toNanos()
          - (System.nanoTime() - closeBeganNanos)));
      for (AMQP.BasicProperties request : owedNotices.values()) {
        try {
          channel.basicPublish("", request.getReplyTo(), false,
              WireHeaders.takenNotice(request.getCorrelationId(), graceMillis), NO_BODY);
        } catch (IOException | RuntimeException e) {
          log.debug("could not send a taken notice on {}: {}", queue(), describe(e));
          break; // the channel is closing: its requests go back to the queue
        }
      }
      owedNotices.clear();
    }

    /** On a worker thread: runs one request and answers it. */
    private void handle(Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
      long deliveryTag = envelope.getDeliveryTag();
      Reply reply = null;
      try {
        // Also while closing: a request delivered before the cancel runs within the grace, not requeued.
        reply = new Reply(deliveryTag, properties);
        dispatcher.dispatch(shard, properties.getContentType(), properties.getHeaders(), body, envelope.isRedeliver(),
            properties.getCorrelationId(), reply);
      } catch (Throwable e) {
        // The worker's boundary. Thrown on, anything (a StackOverflowError in a deserializer, say)
        // would kill the worker and leave the request unanswered and unacknowledged. So it is answered.
        log.error("failed to handle a request on {}; it is answered INTERNAL", queue(), e);
        if (reply != null) {
          reply.failed(properties.getContentType(), e);
        }
      }
    }

    @Override
    public void handleCancelOk(String tag) {
      if (replaced.remove(tag)) {
        return; // a consumer replaced by a prefetch change: its successor is receiving
      }
      stoppedReceiving();
    }

    @Override
    public void handleCancel(String tag) {
      if (replaced.remove(tag)) {
        return; // a consumer being replaced; if the queue is gone, the broker cancels its successor too
      }
      stoppedReceiving();
      lost(this, "the broker cancelled the consumer of " + queue() + " (the queue was deleted; or, on RabbitMQ 4.3"
          + " and later, a request stayed unacknowledged longer than the queue's consumer timeout)");
    }

    @Override
    public void handleShutdownSignal(String tag, ShutdownSignalException cause) {
      stoppedReceiving();
      BrokerRefusal refusal = BrokerRefusal.of(cause);
      if (refusal != null && refusal.isTooLarge()) {
        // A reply over the broker's max_message_size: its request comes back redelivered, and from
        // now on a result that large is answered RESOURCE_EXHAUSTED instead of costing the channel.
        transport.messageSizeLimit.learnBrokerLimit(refusal.brokerLimit);
      }
      if (refusal != null && refusal.consumerTimeoutMillis > 0) {
        consumerTimeout.learn(refusal.consumerTimeoutMillis);
        log.warn("{}: RabbitMQ closed the channel of {}: a request stayed unacknowledged longer than its consumer"
            + " timeout ({} ms){}; the requests it held come back redelivered, run again only if @Idempotent",
            RpcServer.this, queue(), refusal.consumerTimeoutMillis, !consumerTimeout.exceedsBroker() ? ""
                : perConsumerTimeout ? ", shorter than " + consumerTimeout.methodsBeyondBroker(shutdownGrace)
                    + " may run: it consumes again with " + ConsumerTimeout.ARGUMENT
                : ", shorter than " + consumerTimeout.methodsBeyondBroker(shutdownGrace)
                    + " may run, and this broker takes no per-consumer value: raise consumer_timeout on the node");
      }
      // amqp-client recovers a lost connection with its channels and consumers itself, if it may.
      boolean recoveredByClient = cause.isHardError() && channel instanceof Recoverable;
      if (!cause.isInitiatedByApplication() && !recoveredByClient) {
        lost(this, "the channel of " + queue() + " closed: " + cause.getMessage());
      }
    }

    private void stoppedReceiving() {
      receiving = false;
      synchronized (drained) {
        drained.notifyAll();
      }
    }

    /** Stops taking requests; those already delivered still run. */
    synchronized void stopConsuming() {
      stopped = true;
      try {
        if (channel.isOpen() && consumerTag != null) {
          receiving = true; // until the cancel-ok, which comes after every delivery before it
          channel.basicCancel(consumerTag);
          return;
        }
      } catch (IOException | RuntimeException e) {
        log.debug("cancel of {} failed: {}", queue(), describe(e));
      }
      stoppedReceiving();
    }

    /** The reply to one request, sent at most once whatever fails after it. */
    private final class Reply implements Dispatcher.ReplySink {
      private final long deliveryTag;
      private final String replyTo;
      private final String correlationId;
      private final String contentType;
      private final AtomicBoolean sent = new AtomicBoolean();
      /** When its handling started on a worker: how long the handler took is what drives the prefetch. */
      private final long startedNanos = System.nanoTime();

      Reply(long deliveryTag, AMQP.BasicProperties request) {
        this.deliveryTag = deliveryTag;
        this.replyTo = request.getReplyTo();
        this.correlationId = request.getCorrelationId();
        // The reply is in the request's format (plain text answers plain text), JSON for one the server cannot read.
        this.contentType = WireFormat.ofReplyTo(request.getContentType()).contentType;
      }

      @Override
      public boolean expectsReply() {
        return hasReplyTo(replyTo);
      }

      /** A request without reply_to that is not a valid one-way request: rejected, as before it ran. */
      @Override
      public void reject(String why) {
        if (!sent.compareAndSet(false, true)) {
          return;
        }
        log.warn("rejected a request on {} (correlation id {}): {}", queue(), correlationId, why);
        settle(deliveryTag, () -> discard(deliveryTag));
      }

      /**
       * Publishes the reply to the request's reply_to with its correlation id, then acks the request.
       * A one-way request's outcome is not sent: a failure is logged and counted, then it is acked.
       */
      @Override
      public void reply(String status, byte[] replyBody) {
        send(status, replyBody, -1, Map.of());
      }

      /** With the application headers the server's interceptors set, beside the protocol's. */
      @Override
      public void reply(String status, byte[] replyBody, Map<String, String> replyHeaders) {
        send(status, replyBody, -1, replyHeaders);
      }

      /** With {@code rpc-expired-ms}: the request was not run, its deadline had passed (docs/PROTOCOL.md §3). */
      @Override
      public void replyExpired(String status, byte[] replyBody, long expiredMillis) {
        send(status, replyBody, expiredMillis, Map.of());
      }

      /**
       * @param expiredMillis for a request skipped as expired, by how much; else -1
       * @param replyHeaders application headers for the reply (names outside {@code rpc-}, checked when set)
       */
      private void send(String status, byte[] replyBody, long expiredMillis, Map<String, String> replyHeaders) {
        if (!sent.compareAndSet(false, true)) {
          return;
        }
        if (!expectsReply()) {
          if (!status.equals(WireHeaders.STATUS_OK)) {
            failedOneWay.increment();
            log.warn("a one-way request on {} (correlation id {}) failed with {}: {}", queue(), correlationId, status,
                new String(replyBody, java.nio.charset.StandardCharsets.UTF_8));
          }
          long handledNanos = System.nanoTime() - startedNanos;
          settle(deliveryTag, () -> channel.basicAck(deliveryTag, false));
          handled(handledNanos);
          return;
        }
        // The handler's time: the wait for the intake's lock and the writes are the channel's, not its.
        long handledNanos = System.nanoTime() - startedNanos;
        AMQP.BasicProperties reply = WireHeaders.reply(contentType, correlationId, status, expiredMillis, replyHeaders);
        // Never mandatory: RabbitMQ 3.10 returns replies to direct reply-to addresses as NO_ROUTE.
        settle(deliveryTag, () -> {
          channel.basicPublish("", replyTo, false, reply, replyBody);
          channel.basicAck(deliveryTag, false);
        });
        handled(handledNanos);
      }

      /** Handling threw before the reply was sent: answer INTERNAL, or at least settle the request. */
      void failed(String requestContentType, Throwable failure) {
        try {
          dispatcher.replyUnexpected(requestContentType, failure, this);
        } catch (Throwable again) {
          log.error("could not answer a failed request on {}", queue(), again);
        } finally {
          if (sent.compareAndSet(false, true)) {
            settle(deliveryTag, () -> discard(deliveryTag));
          }
        }
      }
    }

    /**
     * Drops a request that cannot be answered. RabbitMQ: rejected without requeue, so it goes to the
     * queue's dead-letter exchange if it has one. Other brokers (Qpid) may requeue a rejected message
     * into a hot loop, so there it is acknowledged and only logged.
     */
    private void discard(long deliveryTag) throws IOException {
      if (rejectToDeadLetter) {
        channel.basicReject(deliveryTag, false);
      } else {
        channel.basicAck(deliveryTag, false);
      }
    }

    /** Publishes, acks or rejects under the intake's lock, then counts the request as done. */
    private void settle(long deliveryTag, ChannelAction action) {
      boolean closeNow = false;
      try {
        synchronized (this) {
          owedNotices.remove(deliveryTag); // answered (or dropped): a notice would come after the reply
          if (channel.isOpen()) {
            action.run();
          }
        }
      } catch (IOException | RuntimeException e) {
        // The broker requeues an unacked request when the channel closes; nothing more to do here.
        log.warn("could not reply on {}: {}", queue(), describe(e));
      } finally {
        synchronized (this) {
          held--;
          closeNow = retired && held == 0;
        }
        if (closeNow) {
          closeChannel();
        }
        if (inFlight.decrementAndGet() == 0) {
          synchronized (drained) {
            drained.notifyAll();
          }
        }
      }
    }

    /** Replaced by a recovery: stops consuming and closes the channel once its requests are settled. */
    void retire() {
      boolean closeNow;
      synchronized (this) {
        retired = true;
        stopped = true;
        closeNow = held == 0;
      }
      if (closeNow) {
        closeChannel();
      } else {
        stopConsuming();
      }
    }

    void closeChannel() {
      synchronized (this) {
        closeQuietly(channel);
      }
      open.remove(this);
    }
  }

  /** Whether a request says where its reply goes; one without is run only if its method is {@code @OneWay}. */
  private static boolean hasReplyTo(String replyTo) {
    return replyTo != null && !replyTo.isEmpty();
  }

  private static final byte[] NO_BODY = new byte[0];

  private interface ChannelAction {
    void run() throws IOException;
  }

  /**
   * The intake lost its consumer or channel: unless closing, serve its shard again on a fresh
   * channel (the other shards keep serving), on a thread of its own, with back-off. Once per loss.
   */
  private void lost(Intake intake, String why) {
    synchronized (this) {
      if (closed || recoveringAll || !consuming.remove(intake)) {
        return;
      }
      state = State.RECOVERING;
    }
    log.warn("{}; {} serves {} again as soon as it can", why, this, intake.queue());
    Threads.daemon("rabbit-rpc-server-recovery").newThread(() -> recover(intake)).start();
  }

  private final Runnable abandoned = this::connectionAbandoned;

  /** The connection is gone for good: every shard and the control channel are served again, on a new one. */
  private void connectionAbandoned() {
    synchronized (this) {
      if (closed || recoveringAll) {
        return;
      }
      recoveringAll = true;
      state = State.RECOVERING;
    }
    log.warn("the recovery of the connection of {} was abandoned; it serves again as soon as it can", this);
    Threads.daemon("rabbit-rpc-server-recovery").newThread(() -> recover(null)).start();
  }

  /**
   * Retries serving, 100 ms doubling to 5 s, jittered, until it serves or the server closes: the
   * lost intake's shard, or with null everything (retiring every intake and the control channel).
   */
  private void recover(Intake lostIntake) {
    if (lostIntake != null) {
      lostIntake.retire(); // stops what is left of it; its requests still finish on its channel
    }
    long delay = FIRST_RETRY_MILLIS;
    for (int attempt = 1; ; attempt++) {
      try {
        long jittered = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        if (closeSignal.await(jittered, TimeUnit.MILLISECONDS)) {
          return;
        }
      } catch (InterruptedException e) {
        return; // only a daemon thread of this server's own
      }
      synchronized (this) {
        if (closed || lostIntake != null && (recoveringAll || isConsuming(lostIntake.shard))) {
          return; // a whole recovery took over, or serves the shard already
        }
        try {
          // The control channel gone too (a connection lost that amqp-client does not recover):
          // the cancel queue went with it, so everything is served again, on a new connection.
          if (lostIntake == null || control == null || !control.isOpen()) {
            retireAll();
            serve();
            recoveringAll = false;
          } else {
            declareQueue(lostIntake.queue());
            consume(served.indexOf(lostIntake.shard));
          }
          if (consuming.size() == served.size()) {
            state = State.SERVING;
          }
          log.info("{} serves {} again (attempt {})", this, lostIntake == null ? "its queues" : lostIntake.queue(),
              attempt);
          return;
        } catch (IOException | RuntimeException e) {
          log.warn("{} cannot serve {} yet (attempt {}): {}", this,
              lostIntake == null ? "its queues" : lostIntake.queue(), attempt, describe(e));
        }
      }
      delay = Math.min(delay * 2, MAX_RETRY_MILLIS);
    }
  }

  /** Whether an intake consumes this shard now; under this lock. */
  private boolean isConsuming(ServiceDescriptor shard) {
    for (Intake intake : consuming) {
      if (intake.shard == shard) {
        return true;
      }
    }
    return false;
  }

  /** Retires the consuming intakes and closes the control channel; under this lock. */
  private void retireAll() {
    for (Intake intake : consuming) {
      intake.retire();
    }
    consuming.clear();
    if (control != null) {
      closeQuietly(control);
      control = null;
    }
  }

  /**
   * Stops taking requests, runs those already delivered and lets calls already running finish
   * within the client's shutdown grace, then interrupts those still running and closes the
   * channels; requests not finished by then go back to the queue. Idempotent.
   */
  @Override
  public void close() {
    beginClose();
    awaitClosed(System.nanoTime() + shutdownGrace.toNanos());
  }

  /**
   * Like {@link #close()}, then deletes the queue if this server declared it (it did not exist when
   * the server started) and nothing else uses it: {@code queue.delete} with if-unused and if-empty,
   * so a queue that another server consumes, or that holds requests, stays. For programs that
   * should leave the broker as they found it, such as the tutorial's server. A sharded server does
   * so for each of its queues.
   *
   * @return whether every queue this server declared was deleted (false if it declared none)
   */
  public boolean closeAndDeleteCreatedQueue() {
    close();
    if (createdQueues.isEmpty()) {
      return false;
    }
    boolean all = true;
    for (String queue : List.copyOf(createdQueues)) {
      try {
        Channel channel = transport.openChannel();
        channel.queueDelete(queue, true, true);
        closeQuietly(channel);
      } catch (IOException | RuntimeException e) {
        // 406: another consumer or messages; 404: already gone; or the client is closed
        log.debug("kept queue {}: {}", queue, describe(e));
        all = false;
      }
    }
    return all;
  }

  /** Stops consuming, without waiting; the first step of {@link #close()}. Idempotent. */
  void beginClose() {
    List<Intake> now;
    synchronized (this) {
      if (closed) {
        return;
      }
      closeBeganNanos = System.nanoTime();
      closed = true;
      state = State.CLOSING;
      now = List.copyOf(open);
    }
    closeSignal.countDown();
    for (Intake intake : now) {
      intake.stopConsuming();
      intake.noticeTaken();
    }
  }

  /**
   * Waits until the requests delivered before {@link #beginClose()} are settled, or until
   * {@code deadlineNanos} ({@link System#nanoTime()}), then closes the channels. Returns at once if
   * another thread is doing it.
   */
  void awaitClosed(long deadlineNanos) {
    if (!finishing.compareAndSet(false, true)) {
      return;
    }
    awaitDrained(deadlineNanos);
    closeChannels();
    if (transport != null) {
      transport.removeConnectionAbandoned(abandoned);
    }
    state = State.CLOSED;
    client.serverClosed(this);
  }

  /** Until no intake can still receive a request (the broker confirmed the cancel) and none is in flight. */
  private void awaitDrained(long end) {
    synchronized (drained) {
      long left;
      while (!isDrained() && (left = end - System.nanoTime()) > 0) {
        try {
          TimeUnit.NANOSECONDS.timedWait(drained, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private boolean isDrained() {
    if (inFlight.get() > 0) {
      return false;
    }
    for (Intake intake : open) {
      if (intake.receiving) {
        return false;
      }
    }
    return true;
  }

  private synchronized void closeChannels() {
    dispatcher.cancellations.interruptAll(); // handlers still running after the grace period
    for (Intake intake : List.copyOf(open)) {
      intake.closeChannel();
    }
    consuming.clear();
    if (control != null) {
      closeQuietly(control);
    }
    handlers.shutdown(); // its threads end with the requests still running, which were interrupted
  }

  /**
   * Closes a channel; one the broker closed already (a 404, a 406, a channel error) is aborted,
   * which makes amqp-client forget it: else it would bring it back on every connection recovery.
   */
  private void closeQuietly(Channel channel) {
    try {
      if (channel.isOpen()) {
        channel.close();
      } else {
        channel.abort();
      }
    } catch (IOException | TimeoutException | RuntimeException e) {
      log.debug("close of {} failed: {}", queue(), describe(e));
    }
  }

  /**
   * Why the server cannot serve. A broker that refuses (it closed the channel with a reply code:
   * permissions, an exclusive queue of another connection...) is no outage: {@code INTERNAL}, with
   * the broker's reply code and text. Anything else means the broker cannot be reached: {@code UNAVAILABLE}.
   */
  private RpcException failure(Exception e) {
    if (e instanceof RpcException) {
      return (RpcException) e;
    }
    String where = "cannot serve queue" + (served.size() == 1 ? " " : "s ") + String.join(", ", queues()) + " on "
        + transport.brokerDescription + ": ";
    Method refusal = refusal(e);
    if (refusal instanceof AMQP.Channel.Close) {
      AMQP.Channel.Close close = (AMQP.Channel.Close) refusal;
      return new RpcException(Code.INTERNAL, where + close.getReplyCode() + " " + close.getReplyText(), e);
    }
    if (refusal instanceof AMQP.Connection.Close) {
      AMQP.Connection.Close close = (AMQP.Connection.Close) refusal;
      return new RpcException(Code.INTERNAL, where + close.getReplyCode() + " " + close.getReplyText(), e);
    }
    return new RpcException(Code.UNAVAILABLE, where + describe(e), e);
  }

  /**
   * The broker's refusal inside an amqp-client exception: its channel.close, or a connection.close
   * other than an operator's forced close (320), which is an outage; null if there is none.
   */
  private static Method refusal(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof ShutdownSignalException && !((ShutdownSignalException) cause).isInitiatedByApplication()) {
        Method reason = ((ShutdownSignalException) cause).getReason();
        if (reason instanceof AMQP.Connection.Close
            && ((AMQP.Connection.Close) reason).getReplyCode() == AMQP.CONNECTION_FORCED) {
          return null;
        }
        return reason instanceof AMQP.Channel.Close || reason instanceof AMQP.Connection.Close ? reason : null;
      }
    }
    return null;
  }

  private static int replyCode(IOException e) {
    Method refusal = refusal(e);
    return refusal instanceof AMQP.Channel.Close ? ((AMQP.Channel.Close) refusal).getReplyCode() : -1;
  }

  private static String describe(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  @Override
  public String toString() {
    return "RpcServer[" + dispatcher.service.type.getSimpleName() + " on queue"
        + (served.size() == 1 ? " " + served.get(0).queue : "s " + String.join(",", queues()))
        + ", broker=" + client.brokerDescription() + (closed ? ", closed]" : "]");
  }
}
