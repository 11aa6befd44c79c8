package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;

/**
 * A connection to a broker that makes client proxies of service interfaces and exports
 * implementations as servers.
 *
 * <pre>{@code
 * try (RpcClient client = RpcClient.builder().uri("amqp://guest:guest@broker:5672").timeout(Duration.ofSeconds(5)).build()) {
 *   FibonacciService fib = client.proxy(FibonacciService.class);
 *   int r = fib.fib(30);
 * }
 * }</pre>
 *
 * <p>A client owns one AMQP connection, opened on first use and recovered automatically when
 * lost. Clients are expensive and meant to be shared: create one per broker and application, and
 * as many proxies from it as you like. Closing the client fails its calls in flight with
 * {@link Code#CANCELLED}, closes its exported servers and its connection.
 *
 * <p>This class is immutable in its configuration and thread-safe; its proxies are thread-safe too.
 */
public final class RpcClient implements AutoCloseable {
  static final String DEFAULT_URI = "amqp://guest:guest@localhost:5672";
  static final String URI_ENV = "RPC_AMQP_URI";
  static final String URI_PROPERTY = "rpc.amqp.uri";

  private final Codec codec;
  private final Duration timeout;
  private final int maxInFlight;
  private final int maxMessageSize;
  private final QueueSettings queueSettings;
  private final int workers;
  private final int prefetch;
  private final Duration shutdownGrace;
  private final ReplyRouter router;
  private final AmqpTransport transport;
  private final ConsumerProbe probe;
  private final Map<Class<?>, ServiceDescriptor> services = new ConcurrentHashMap<>();
  private final List<RpcServer> servers = new CopyOnWriteArrayList<>();
  /** Attempts that failed with UNAVAILABLE and were retried ({@code @Idempotent} calls). */
  private final java.util.concurrent.atomic.LongAdder retries = new java.util.concurrent.atomic.LongAdder();
  /** Async calls between attempts (connecting, backing off), which the router does not hold then. */
  private final java.util.Set<AsyncCall> waiting = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private RpcClient(Builder builder, ConnectionFactory factory) {
    this.codec = builder.codec;
    this.timeout = builder.timeout;
    this.maxInFlight = builder.maxInFlight;
    this.maxMessageSize = builder.maxMessageSize;
    this.queueSettings = new QueueSettings(builder.quorumQueues, builder.deadLetterExchange);
    this.workers = builder.workers;
    this.prefetch = builder.prefetch;
    this.shutdownGrace = builder.shutdownGrace;
    this.router = new ReplyRouter(codec.mapper(), builder.executor, builder.remoteExceptions);
    this.transport = new AmqpTransport(factory, builder.addresses, builder.connectionName, builder.channels, router,
        builder.timeout);
    this.probe = new ConsumerProbe(transport, router);
  }

  /** A builder with the defaults: localhost broker, 30 s timeout, strict JSON codec. */
  public static Builder builder() {
    return new Builder();
  }

  /** The process-wide client used by {@link RpcProxy} and {@link RpcServer#export(Class, Object)}. */
  static RpcClient defaultClient() {
    return DefaultClient.INSTANCE;
  }

  /**
   * A proxy whose methods call the service. The interface is parsed and validated once per client.
   * If the client is not connected yet, it starts connecting in the background now, so that the
   * first call finds the connection ready; a call made before that ends waits for it.
   *
   * @throws IllegalArgumentException if {@code service} is not a valid service interface; the
   *     message names the method at fault
   */
  public <T> T proxy(Class<T> service) {
    transport.connectInBackground(); // while this thread parses the interface
    return proxy(service, describe(service));
  }

  /**
   * A proxy whose methods call the service on {@code queue} instead of the queue its
   * {@code @RpcService} names: one interface, several deployments (tenants, environments, tests).
   *
   * @throws IllegalArgumentException if {@code service} is not a valid service interface or the
   *     queue name is empty or longer than 255 characters
   */
  public <T> T proxy(Class<T> service, String queue) {
    transport.connectInBackground();
    return proxy(service, describe(service).withQueue(Objects.requireNonNull(queue, "queue")));
  }

  private <T> T proxy(Class<T> service, ServiceDescriptor descriptor) {
    Cancellations.prepareKeys(); // like the connection, ready before the first call
    return service.cast(Proxy.newProxyInstance(
        service.getClassLoader(), new Class<?>[] {service}, new ProxyHandler(this, descriptor)));
  }

  /**
   * Serves {@code implementation} on the service's queue until the returned server is closed. A
   * queue that exists is served as it is; one that does not is declared durable (classic, or quorum
   * with {@link Builder#quorumQueues(boolean)}).
   *
   * @throws IllegalArgumentException if {@code service} is not a valid service interface
   * @throws RpcException {@code UNAVAILABLE} if the broker cannot be reached; {@code INTERNAL} if
   *     it refuses the queue (the message has the broker's reply code and text)
   */
  public <T> RpcServer export(Class<T> service, T implementation) {
    return export(describe(service), implementation);
  }

  /**
   * Serves {@code implementation} on {@code queue} instead of the queue its {@code @RpcService}
   * names; see {@link #proxy(Class, String)}.
   *
   * @throws IllegalArgumentException if {@code service} is not a valid service interface or the
   *     queue name is empty or longer than 255 characters
   * @throws RpcException {@code UNAVAILABLE} if the broker cannot be reached; {@code INTERNAL} if
   *     it refuses the queue
   */
  public <T> RpcServer export(Class<T> service, T implementation, String queue) {
    return export(describe(service).withQueue(Objects.requireNonNull(queue, "queue")), implementation);
  }

  private RpcServer export(ServiceDescriptor descriptor, Object implementation) {
    Objects.requireNonNull(implementation, "implementation");
    if (!descriptor.type.isInstance(implementation)) {
      throw new IllegalArgumentException(
          implementation.getClass().getName() + " does not implement " + descriptor.type.getName());
    }
    RpcServer server = new RpcServer(this, new Dispatcher(descriptor, implementation, codec.mapper(), maxMessageSize),
        workers, prefetch, shutdownGrace, queueSettings);
    servers.add(server);
    try {
      server.start(transport);
    } catch (RuntimeException e) {
      servers.remove(server);
      throw e;
    }
    return server;
  }

  /** Calls in flight: waiting for their replies, or for the connection or a retry before they are sent. */
  public int pendingCalls() {
    return router.pendingCount() + waiting.size();
  }

  /** Replies dropped because no call waited for them (late after a deadline, duplicate, or foreign). */
  public long droppedReplies() {
    return router.droppedReplies();
  }

  /**
   * Whether the client has an open connection to the broker that is not being recovered, so that
   * calls can be sent now. False before the first proxy or export connects, while the broker is
   * unreachable, while a lost connection is recovered and after {@link #close()}. For health checks;
   * thread-safe, a read of volatile state.
   */
  public boolean isConnected() {
    return transport.isUsable();
  }

  /** The client's default call timeout. */
  public Duration timeout() {
    return timeout;
  }

  /** Retries so far: attempts of {@code @Idempotent} calls that failed with UNAVAILABLE and were sent again. */
  long retries() {
    return retries.sum();
  }

  /** For tests. */
  AmqpTransport transport() {
    return transport;
  }

  String brokerDescription() {
    return transport.brokerDescription;
  }

  void serverClosed(RpcServer server) {
    servers.remove(server);
  }

  private ServiceDescriptor describe(Class<?> service) {
    Objects.requireNonNull(service, "service");
    return services.computeIfAbsent(service, type -> ServiceDescriptor.parse(type, codec, timeout));
  }

  /**
   * One remote call. Sync methods wait for the reply on the calling thread; async methods return
   * the future at once and never throw, never block on connecting: every failure completes the
   * future. {@code @Idempotent} calls are retried on {@code UNAVAILABLE} with backoff, within the
   * same deadline.
   */
  Object call(ServiceDescriptor service, MethodDescriptor method, Object[] args) throws Throwable {
    // One deadline per call, fixed now; a call made inside a handler inherits what is left of its caller's.
    Deadline deadline = Deadline.after(method.timeoutNanos, TimeUnit.NANOSECONDS).minimum(CallContext.inherited());
    if (method.async) {
      if (!method.idempotent && transport.isConnected()) {
        return sendOrFail(service, method, args, deadline); // the common case: the future is the call itself
      }
      return new AsyncCall(service, method, args, deadline).start();
    }
    for (int attempt = 0; ; attempt++) {
      try {
        return await(send(service, method, args, deadline), deadline);
      } catch (RpcException e) {
        long backoff = retryBackoffNanos(method, e, attempt, deadline);
        if (backoff < 0) {
          throw e;
        }
        retries.increment();
        try {
          TimeUnit.NANOSECONDS.sleep(backoff);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new RpcException(Code.CANCELLED, method.key + ": interrupted while waiting to retry", interrupted);
        }
      }
    }
  }

  /**
   * How long to wait before retrying a failed attempt, or -1 if it must not be retried: only
   * {@code @Idempotent} methods, only {@code UNAVAILABLE}, only while the deadline leaves room.
   */
  private static long retryBackoffNanos(MethodDescriptor method, Throwable failure, int attempt, Deadline deadline) {
    if (!method.idempotent || !(failure instanceof RpcException)
        || ((RpcException) failure).code() != Code.UNAVAILABLE) {
      return -1;
    }
    long base = TimeUnit.MILLISECONDS.toNanos(50) << Math.min(attempt, 5); // 50 ms .. 1.6 s
    long backoff = Math.min(base, TimeUnit.SECONDS.toNanos(1));
    backoff = backoff / 2 + java.util.concurrent.ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
    return backoff < deadline.remainingNanos() ? backoff : -1;
  }

  private CompletableFuture<Object> sendOrFail(ServiceDescriptor service, MethodDescriptor method, Object[] args,
      Deadline deadline) {
    try {
      PendingCall call = send(service, method, args, deadline);
      router.armDeadline(call);
      return call;
    } catch (RpcException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The largest {@code expiration} RabbitMQ accepts; a larger one closes the channel. */
  static final long MAX_EXPIRATION_MILLIS = 4_294_967_295L;

  /**
   * Encodes, connects if needed (within the deadline), registers and publishes one attempt; the
   * returned call is pending until its reply. Nothing is left registered when this throws.
   */
  private PendingCall send(ServiceDescriptor service, MethodDescriptor method, Object[] args, Deadline deadline) {
    if (closed) {
      throw new RpcException(Code.CANCELLED, method.key + ": the client is closed");
    }
    if (deadline.isExpired()) {
      throw new RpcException(Code.DEADLINE_EXCEEDED, method.key + ": the deadline passed before the call was sent");
    }
    if (router.pendingCount() >= maxInFlight) {
      throw new RpcException(Code.RESOURCE_EXHAUSTED,
          method.key + ": " + maxInFlight + " calls already in flight (RpcClient.Builder.maxInFlight)");
    }
    byte[] body = method.plainText
        ? PlainText.encodeArgument(method, args[0])
        : Envelope.encodeRequest(codec.mapper(), method, args);
    if (body.length > maxMessageSize) {
      throw new RpcException(Code.RESOURCE_EXHAUSTED, method.key + ": the request has " + body.length
          + " bytes, more than the limit of " + maxMessageSize + " (RpcClient.Builder.maxMessageSize)");
    }
    CallChannel channel;
    try {
      transport.checkNotBlocked();
      channel = transport.callChannel(deadline); // connects first if needed, never past the deadline
    } catch (RpcException e) {
      throw new RpcException(e.code(), method.key + ": " + e.getMessage(), e.getCause());
    }
    PendingCall call = router.register(method, channel, service.queue, deadline);
    try {
      long remainingMillis = deadline.remainingMillisCeil();
      if (remainingMillis <= 0) {
        throw new RpcException(Code.DEADLINE_EXCEEDED, method.key + ": the deadline passed while connecting");
      }
      probe.ensureStarted();
      AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
          .contentType(method.plainText ? null : Envelope.CONTENT_TYPE) // no content type is what makes a request plain
          .correlationId(call.correlationId)
          .replyTo(channel.replyTo)
          .headers(Map.of(
              Envelope.HEADER_PROTOCOL, Envelope.PROTOCOL_VERSION,
              Envelope.HEADER_DEADLINE, deadline.toEpochMillis(),
              Cancellations.HEADER_KEY, Cancellations.keyFor(call.correlationId))) // only this call's notice cancels it
          // RabbitMQ drops a request still queued at its deadline; the server checks the header too.
          .expiration(transport.connectedToRabbitMq()
              ? Long.toString(Math.min(remainingMillis, MAX_EXPIRATION_MILLIS)) : null)
          .build();
      transport.checkNotBlocked();
      channel.publish(service.queue, properties, body);
    } catch (IOException | RuntimeException e) {
      call.forget();
      if (e instanceof RpcException) {
        throw (RpcException) e;
      }
      throw new RpcException(Code.UNAVAILABLE,
          method.key + ": cannot send the request to " + transport.brokerDescription + ": " + e.getMessage(), e);
    }
    return call;
  }

  /** Waits for a sync call's outcome until its deadline. */
  private Object await(PendingCall call, Deadline deadline) throws Throwable {
    try {
      return call.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw e.getCause();
    } catch (TimeoutException e) {
      router.expire(call);
      return outcome(call);
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw new RpcException(Code.CANCELLED, call.method.key + ": interrupted while waiting for the reply", e);
    }
  }

  /** The result of a call that is known to be done. */
  private static Object outcome(PendingCall call) throws Throwable {
    try {
      return call.getNow(null);
    } catch (CompletionException e) {
      throw e.getCause();
    } catch (java.util.concurrent.CancellationException e) {
      throw new RpcException(Code.CANCELLED, call.method.key + ": cancelled", e);
    }
  }

  /**
   * The future of an async call that is more than one {@link PendingCall}: one that must wait for
   * the connection first (without blocking its caller), or an {@code @Idempotent} one, whose attempt
   * failing with {@code UNAVAILABLE} is retried after a backoff while the deadline allows. One timer
   * ends it at its deadline, whatever it is doing then (connecting, backing off, waiting for a
   * reply); cancelling it cancels the attempt in flight; closing the client fails it.
   */
  private final class AsyncCall extends CompletableFuture<Object> {
    private final ServiceDescriptor service;
    private final MethodDescriptor method;
    private final Object[] args;
    private final Deadline deadline;
    private volatile PendingCall attempt;
    private int attempts;
    private volatile java.util.concurrent.ScheduledFuture<?> timer;

    AsyncCall(ServiceDescriptor service, MethodDescriptor method, Object[] args, Deadline deadline) {
      this.service = service;
      this.method = method;
      this.args = args;
      this.deadline = deadline;
    }

    AsyncCall start() {
      waiting.add(this);
      whenComplete((value, failure) -> ended());
      if (closed) { // close() may have run before this call was in the set
        end(null, new RpcException(Code.CANCELLED, method.key + ": the client is closed"));
        return this;
      }
      try {
        timer = router.schedule(this::expire, deadline.remainingNanos());
      } catch (java.util.concurrent.RejectedExecutionException clientClosed) {
        end(null, new RpcException(Code.CANCELLED, method.key + ": the client is closed"));
        return this;
      }
      if (transport.isConnected()) {
        attemptNow();
      } else {
        // Waits for the connection on the connecting thread, not the caller's.
        transport.connectAsync().whenComplete((connection, failure) -> {
          if (failure == null) {
            attemptNow();
          } else {
            failed(failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure);
          }
        });
      }
      return this;
    }

    private void attemptNow() {
      if (isDone()) {
        return;
      }
      PendingCall current;
      try {
        current = send(service, method, args, deadline);
      } catch (RpcException e) {
        failed(e);
        return;
      }
      attempt = current;
      waiting.remove(this); // in the router now
      current.whenComplete((value, failure) -> {
        // On the thread that completed the attempt, the executor's already if one is set: no second hop.
        if (failure == null) {
          complete(value);
        } else {
          failed(failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure);
        }
      });
      if (isDone()) { // cancelled or expired while sending
        current.cancel(false);
      }
    }

    private void failed(Throwable failure) {
      long backoff = retryBackoffNanos(method, failure, attempts++, deadline);
      if (backoff < 0 || isDone()) {
        end(null, failure);
        return;
      }
      waiting.add(this);
      retries.increment();
      try {
        router.schedule(this::attemptNow, backoff);
      } catch (java.util.concurrent.RejectedExecutionException clientClosed) {
        end(null, new RpcException(Code.CANCELLED, method.key + ": the client was closed"));
      }
    }

    /** The deadline: ends the attempt in flight, or the call itself if it has none now. */
    private void expire() {
      PendingCall current = attempt;
      if (current != null && !current.isDone()) {
        router.expire(current); // completes this call through the attempt's whenComplete
      }
      end(null, ReplyRouter.deadlineExceeded(method, deadline));
    }

    void end(Object value, Throwable failure) {
      if (!isDone()) {
        router.complete(this, method, value, failure);
      }
    }

    private void ended() {
      waiting.remove(this);
      java.util.concurrent.ScheduledFuture<?> task = timer;
      if (task != null) {
        task.cancel(false);
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      PendingCall current = attempt;
      if (current != null) {
        current.cancel(mayInterruptIfRunning);
      }
      return cancelled;
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
      return new CompletableFuture<>();
    }
  }

  /**
   * Fails calls in flight with {@link Code#CANCELLED}, closes the exported servers (each drains
   * within its grace period) and closes the connection. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    // Each step runs whatever the one before threw: a close that stops half-way would leak the connection.
    try {
      // Callers learn at once; servers may then take up to their grace period to drain.
      router.failAll(call -> true, call -> new RpcException(Code.CANCELLED, call.method.key + ": the client was closed"));
      for (AsyncCall call : waiting) { // connecting or backing off: not in the router now
        call.end(null, new RpcException(Code.CANCELLED, call.method.key + ": the client was closed"));
      }
    } finally {
      try {
        closeServers();
      } finally {
        try {
          probe.shutdown();
        } finally {
          try {
            transport.close();
          } finally {
            router.shutdown();
          }
        }
      }
    }
  }

  /** All servers drain at once, within one grace period, not one after the other. */
  private void closeServers() {
    List<RpcServer> closing = List.copyOf(servers);
    for (RpcServer server : closing) {
      server.beginClose();
    }
    long graceEnd = System.nanoTime() + shutdownGrace.toNanos();
    for (RpcServer server : closing) {
      try {
        server.awaitClosed(graceEnd);
      } catch (RuntimeException e) {
        org.slf4j.LoggerFactory.getLogger(RpcClient.class).warn("closing {} failed", server, e);
      }
    }
  }

  @Override
  public String toString() {
    return "RpcClient[broker=" + transport.brokerDescription + ", timeout=" + timeout.toMillis() + "ms]";
  }

  /** The process-wide default client, created on first use and closed at JVM exit. */
  private static final class DefaultClient {
    static final RpcClient INSTANCE = create();

    private static RpcClient create() {
      String uri = System.getenv(URI_ENV);
      if (uri == null || uri.isBlank()) {
        uri = System.getProperty(URI_PROPERTY, DEFAULT_URI);
      }
      RpcClient client = builder().uri(uri).connectionName("rabbit-rpc default client").build();
      Runtime.getRuntime().addShutdownHook(new Thread(client::close, "rabbit-rpc-default-client-shutdown"));
      return client;
    }
  }

  /**
   * Configures an {@link RpcClient}. Not thread-safe; {@link #build()} returns an immutable,
   * thread-safe client.
   */
  public static final class Builder {
    private String uri = DEFAULT_URI;
    private ConnectionFactory connectionFactory;
    private Duration timeout = Duration.ofSeconds(30);
    private Codec codec = Codec.json();
    private Executor executor;
    private int workers = Runtime.getRuntime().availableProcessors();
    private int prefetch = 1;
    private int channels = 1;
    private Duration shutdownGrace = Duration.ofSeconds(10);
    private String connectionName = "rabbit-rpc";
    private int maxInFlight = 50_000;
    private int maxMessageSize = 16 * 1024 * 1024;
    private List<com.rabbitmq.client.Address> addresses = List.of();
    private boolean quorumQueues;
    private String deadLetterExchange;
    private java.util.Set<Class<? extends Throwable>> remoteExceptions = java.util.Set.of();

    private Builder() {}

    /**
     * The broker, e.g. {@code amqp://user:pass@host:5672/vhost}. {@code amqps://} uses the JVM's
     * default trust store and verifies the host name. Default {@code amqp://guest:guest@localhost:5672}.
     */
    public Builder uri(String uri) {
      this.uri = Objects.requireNonNull(uri, "uri");
      this.connectionFactory = null;
      return this;
    }

    /** Your own connection factory, used as it is (TLS, credentials, heartbeats, addresses…). */
    public Builder connectionFactory(ConnectionFactory connectionFactory) {
      this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory");
      return this;
    }

    /** The deadline of calls whose method and interface have no {@code @Timeout}; default 30 s. */
    public Builder timeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /** The JSON codec; default {@link Codec#json()}. */
    public Builder codec(Codec codec) {
      this.codec = Objects.requireNonNull(codec, "codec");
      return this;
    }

    /**
     * Where {@code CompletableFuture} results of async methods are completed, and so where their
     * dependent stages run. By default they complete on the client's reply thread, which is the
     * fastest; then dependent stages must not block — use the {@code …Async} variants or set an
     * executor here.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Workers per exported service: how many requests a server runs at once. Each worker is a
     * channel of its own that runs its requests' handlers on the thread that delivers them, and
     * takes {@link #prefetch(int)} requests from the queue at a time. Default: available processors.
     */
    public Builder workers(int workers) {
      if (workers < 1) {
        throw new IllegalArgumentException("workers must be at least 1: " + workers);
      }
      this.workers = workers;
      return this;
    }

    /**
     * Requests each worker of an exported service holds unacknowledged: the one it runs and the
     * ones queued behind it. Default 1, RabbitMQ's "fair dispatch": a request never waits behind a
     * slow one while another worker or server is free. More raises throughput when handlers are
     * short and the broker is remote, at the cost of that fairness.
     */
    public Builder prefetch(int prefetch) {
      if (prefetch < 1 || prefetch > 65_535) {
        throw new IllegalArgumentException("prefetch must be between 1 and 65535: " + prefetch);
      }
      this.prefetch = prefetch;
      return this;
    }

    /**
     * Channels for sending requests, each with its own reply consumer; calling threads are spread
     * over them. Default 1.
     */
    public Builder channels(int channels) {
      if (channels < 1) {
        throw new IllegalArgumentException("channels must be at least 1: " + channels);
      }
      this.channels = channels;
      return this;
    }

    /** How long closing a server waits for calls already running; default 10 s. */
    public Builder shutdownGrace(Duration shutdownGrace) {
      if (shutdownGrace.isNegative()) {
        throw new IllegalArgumentException("shutdownGrace must not be negative: " + shutdownGrace);
      }
      this.shutdownGrace = shutdownGrace;
      return this;
    }

    /**
     * Calls in flight at most; a call beyond fails at once with {@code RESOURCE_EXHAUSTED} rather
     * than waiting, so that no caller waits longer than it asked. Default 50,000.
     */
    public Builder maxInFlight(int maxInFlight) {
      if (maxInFlight < 1) {
        throw new IllegalArgumentException("maxInFlight must be at least 1: " + maxInFlight);
      }
      this.maxInFlight = maxInFlight;
      return this;
    }

    /**
     * The largest message body in bytes. The client refuses to send a larger request
     * ({@code RESOURCE_EXHAUSTED}); an exported server answers a larger request, checked before
     * parsing, or a larger result with that error. Replies the client receives are bounded by
     * amqp-client's 64 MiB inbound frame limit, not by this. Default 16 MiB; at most 60 MiB.
     */
    public Builder maxMessageSize(int bytes) {
      if (bytes < 1024 || bytes > 60 * 1024 * 1024) {
        throw new IllegalArgumentException("maxMessageSize must be between 1 KiB and 60 MiB: " + bytes);
      }
      this.maxMessageSize = bytes;
      return this;
    }

    /**
     * Brokers of a cluster to connect to, e.g. {@code "rabbit1:5672", "rabbit2:5672"}: the first
     * reachable one is used, and recovery moves to another when it is lost. Credentials and
     * virtual host still come from the URI or connection factory.
     */
    public Builder addresses(String... hostsAndPorts) {
      List<com.rabbitmq.client.Address> parsed = new java.util.ArrayList<>();
      for (String hostAndPort : hostsAndPorts) {
        parsed.add(com.rabbitmq.client.Address.parseAddress(Objects.requireNonNull(hostAndPort, "address")));
      }
      this.addresses = List.copyOf(parsed);
      return this;
    }

    /**
     * Exported services declare the request queues that do not exist yet as quorum queues
     * (replicated) instead of classic durable queues. A queue that exists is served as it is.
     */
    public Builder quorumQueues(boolean quorumQueues) {
      this.quorumQueues = quorumQueues;
      return this;
    }

    /**
     * Exported services declare the request queues that do not exist yet with this dead-letter
     * exchange, which receives requests the server rejects (no {@code reply_to}) and, on RabbitMQ,
     * requests that expired in the queue. A queue that exists is served as it is.
     */
    public Builder deadLetterExchange(String exchange) {
      this.deadLetterExchange = Objects.requireNonNull(exchange, "exchange");
      return this;
    }

    /**
     * Exception classes that replies may make this client instantiate, beyond the types a method
     * declares in {@code throws}. A remote exception is rethrown as its own class only if the method
     * declares it, or it is registered here and extends a declared type; one that merely extends a
     * declared type is rethrown as the most specific declared type, with the remote class name in
     * the {@code RpcException} cause's {@code remoteType()}. So a server can never make a client
     * construct an arbitrary class of its class path (for {@code throws Exception}, any exception).
     * Each class needs a public {@code (String)} or no-argument constructor.
     */
    @SafeVarargs
    public final Builder remoteExceptions(Class<? extends Throwable>... types) {
      java.util.Set<Class<? extends Throwable>> registered = new java.util.HashSet<>();
      for (Class<? extends Throwable> type : types) {
        registered.add(Objects.requireNonNull(type, "type"));
      }
      this.remoteExceptions = java.util.Set.copyOf(registered);
      return this;
    }

    /** The connection's name, shown by the broker's tools; default {@code rabbit-rpc}. */
    public Builder connectionName(String connectionName) {
      this.connectionName = Objects.requireNonNull(connectionName, "connectionName");
      return this;
    }

    /**
     * A client with this configuration. It does not connect yet: the connection opens when the
     * first proxy is made (in the background) or on the first export.
     *
     * @throws IllegalArgumentException if the URI is malformed (the message never shows credentials)
     */
    public RpcClient build() {
      return new RpcClient(this, connectionFactory != null ? connectionFactory : factoryFor(uri));
    }

    static ConnectionFactory factoryFor(String uri) {
      ConnectionFactory factory = new ConnectionFactory();
      try {
        factory.setUri(uri);
      } catch (URISyntaxException | GeneralSecurityException | IllegalArgumentException e) {
        throw new IllegalArgumentException("malformed broker URI (expected amqp://user:pass@host:port/vhost)", null);
      }
      // amqp-client's default waits 5 s before each reconnection attempt; calls fail fast meanwhile.
      factory.setNetworkRecoveryInterval(1_000);
      // Its default lets a channel operation (declare, close) wait 10 minutes on a stalled connection.
      factory.setChannelRpcTimeout(10_000);
      if (factory.isSSL()) {
        // setUri("amqps://…") trusts every certificate; use the JVM's trust store and check the host instead.
        try {
          factory.useSslProtocol(SSLContext.getDefault());
        } catch (NoSuchAlgorithmException e) {
          throw new IllegalStateException("no default TLS context in this JVM", e);
        }
        factory.enableHostnameVerification(); // explicit, whatever amqp-client's default is
      }
      return factory;
    }
  }
}
