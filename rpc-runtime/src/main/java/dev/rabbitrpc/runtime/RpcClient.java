package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.api.Encoding;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.lang.reflect.Proxy;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
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
  private final Encoding encoding;
  private final int maxInFlight;
  private final int maxMessageSize;
  /** Shared by the client's calls and its servers' replies: lowered to the broker's limit once it refused a message. */
  private final MessageSizeLimit messageSizeLimit;
  private final QueueSettings queueSettings;
  private final int workers;
  private final int prefetch;
  /** No prefetch set: servers start at the workers' count and adapt it ({@link AdaptivePrefetch}). */
  private final boolean adaptivePrefetch;
  private final Duration shutdownGrace;
  private final ReplyRouter router;
  private final ClientTimer timer;
  private final ClientWork work;
  private final LateReplies late;
  private final AmqpTransport transport;
  private final ConsumerProbe probe;
  private final CallEngine engine;
  /** In registration order (ServerInterceptor, "Order"). */
  private final List<ServerInterceptor> serverInterceptors;
  private final Map<Class<?>, ServiceDescriptor> services = new ConcurrentHashMap<>();
  private final List<RpcServer> servers = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private RpcClient(Builder builder, ConnectionFactory factory) {
    this.codec = builder.codec;
    this.timeout = builder.timeout;
    this.encoding = builder.encoding == Encoding.DEFAULT ? Encoding.JSON : builder.encoding;
    this.maxInFlight = builder.maxInFlight;
    this.maxMessageSize = builder.maxMessageSize;
    this.queueSettings = new QueueSettings(builder.quorumQueues, builder.deadLetterExchange);
    this.workers = builder.workers;
    this.prefetch = builder.prefetch == 0 ? builder.workers : builder.prefetch;
    this.adaptivePrefetch = builder.prefetch == 0;
    this.shutdownGrace = builder.shutdownGrace;
    this.timer = new ClientTimer();
    this.work = new ClientWork();
    this.late = new LateReplies();
    Completions completions = new Completions(builder.executor);
    this.router = new ReplyRouter(new ReplyDecoder(codec, builder.remoteExceptions), late, completions,
        new QueueCounts(Deadline.SYSTEM_TICKER));
    this.messageSizeLimit = new MessageSizeLimit(maxMessageSize);
    this.transport = new AmqpTransport(factory, builder.addresses, builder.connectionName, builder.channels, router,
        builder.timeout, messageSizeLimit);
    this.probe = new ConsumerProbe(transport, router, timer);
    FormatRefused formats = new FormatRefused(WireFormat.forEncoding(encoding));
    CorrelationIds ids = new CorrelationIds();
    Sender sender = new Sender(codec, maxInFlight, messageSizeLimit, router, transport, probe::ensureStarted, formats, ids,
        builder.oneWayConfirms);
    this.engine = new CallEngine(router, completions, timer, work, transport, sender, new RetryPolicy(formats), formats,
        ids, new CallDeadlines(router, timer), List.copyOf(builder.interceptors), Deadline.SYSTEM_TICKER);
    this.serverInterceptors = List.copyOf(builder.serverInterceptors);
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
    CancelKeys.prepareKeys(); // like the connection, ready before the first call
    return service.cast(Proxy.newProxyInstance(
        service.getClassLoader(), new Class<?>[] {service}, new ProxyHandler(engine, descriptor)));
  }

  /**
   * Serves {@code implementation} on the service's queue until the returned server is closed; a
   * sharded service on every one of its shard queues. A queue that exists is served as it is; one
   * that does not is declared durable (classic, or quorum with {@link Builder#quorumQueues(boolean)}).
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

  /**
   * Serves {@code implementation} on some of the shards of a sharded service
   * ({@code @RpcService(shards = N)}): the queues {@code queue.i} of the shards given, 0 to N-1, so
   * that servers can be placed per shard; servers on subsets that together cover every shard serve
   * the whole service. {@link #export(Class, Object)} serves every shard.
   *
   * @throws IllegalArgumentException if {@code service} is not a valid service interface, or
   *     {@code shards} is empty, repeats a shard or names one the service does not have
   * @throws RpcException {@code UNAVAILABLE} if the broker cannot be reached; {@code INTERNAL} if
   *     it refuses a queue
   */
  public <T> RpcServer exportShards(Class<T> service, T implementation, int... shards) {
    ServiceDescriptor descriptor = describe(service);
    return export(descriptor, implementation, checkShards(descriptor, shards));
  }

  /**
   * Serves {@code implementation} on some of the shards of a sharded service whose queues are
   * named after {@code queue} instead of the queue its {@code @RpcService} names; see
   * {@link #exportShards(Class, Object, int...)} and {@link #proxy(Class, String)}.
   *
   * @throws IllegalArgumentException as {@link #exportShards(Class, Object, int...)}, or if the
   *     queue name is empty or too long
   * @throws RpcException {@code UNAVAILABLE} if the broker cannot be reached; {@code INTERNAL} if
   *     it refuses a queue
   */
  public <T> RpcServer exportShards(Class<T> service, T implementation, String queue, int... shards) {
    ServiceDescriptor descriptor = describe(service).withQueue(Objects.requireNonNull(queue, "queue"));
    return export(descriptor, implementation, checkShards(descriptor, shards));
  }

  /** The shards to serve, ascending; each one the service has, once. */
  private static int[] checkShards(ServiceDescriptor descriptor, int[] shards) {
    Objects.requireNonNull(shards, "shards");
    if (shards.length == 0) {
      throw new IllegalArgumentException(descriptor.type.getName() + ": give at least one shard to serve");
    }
    int[] sorted = shards.clone();
    java.util.Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      if (sorted[i] < 0 || sorted[i] >= descriptor.shards) {
        throw new IllegalArgumentException(descriptor.type.getName() + " has " + descriptor.shards + " shard"
            + (descriptor.shards == 1 ? " (0)" : "s (0 to " + (descriptor.shards - 1) + ")") + ", not shard " + sorted[i]);
      }
      if (i > 0 && sorted[i] == sorted[i - 1]) {
        throw new IllegalArgumentException(descriptor.type.getName() + ": shard " + sorted[i] + " is given twice");
      }
    }
    return sorted;
  }

  private RpcServer export(ServiceDescriptor descriptor, Object implementation) {
    int[] every = new int[descriptor.shards];
    java.util.Arrays.setAll(every, i -> i);
    return export(descriptor, implementation, every);
  }

  private RpcServer export(ServiceDescriptor descriptor, Object implementation, int[] shards) {
    Objects.requireNonNull(implementation, "implementation");
    if (!descriptor.type.isInstance(implementation)) {
      throw new IllegalArgumentException(
          implementation.getClass().getName() + " does not implement " + descriptor.type.getName());
    }
    RpcServer server = new RpcServer(this, new Dispatcher(descriptor, implementation, codec, messageSizeLimit, serverInterceptors),
        shards, workers, prefetch, adaptivePrefetch, shutdownGrace, queueSettings);
    servers.add(server);
    try {
      server.start(transport);
    } catch (RuntimeException e) {
      servers.remove(server);
      throw e;
    }
    return server;
  }

  /**
   * The client's counters now, in one immutable snapshot: calls in flight, retries, dropped, late
   * and skipped replies, the last late replies, consumer probes, returned one-way requests.
   */
  public ClientStats stats() {
    return new ClientStats(engine.pendingCalls(), engine.retries(), router.droppedReplies(), late.count(),
        late.skipped(), late.recent(), probe.asked(), router.returnedOneWay());
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

  /** The format proxies send in for services whose annotation chooses none ({@link Builder#encoding}). */
  public Encoding encoding() {
    return encoding;
  }

  /**
   * The correlation id of the request a proxy's future stands for (its attempt in flight), or null
   * if none is sent now. For tests, which play a peer that saw the id in a log or a trace.
   */
  static String correlationIdOf(CompletableFuture<?> call) {
    return CallEngine.correlationIdOf(call);
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
      engine.close(); // callers learn at once; servers may then take up to their grace period to drain
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
            timer.shutdown();
            work.shutdown();
            engine.failWaiting(); // a retry scheduled while closing was dropped with the timer
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
    /** The least default of {@link #workers(int)}. */
    static final int DEFAULT_WORKERS = 8;
    private String uri = DEFAULT_URI;
    private ConnectionFactory connectionFactory;
    private Duration timeout = Duration.ofSeconds(30);
    private Codec codec = Codec.json();
    private Encoding encoding = Encoding.JSON;
    private Executor executor;
    private int workers = Math.max(DEFAULT_WORKERS, 2 * Runtime.getRuntime().availableProcessors());
    /** 0: not set, adaptive (AdaptivePrefetch), starting at as many as the workers. */
    private int prefetch;
    private int channels = 1;
    private Duration shutdownGrace = Duration.ofSeconds(10);
    private String connectionName = "rabbit-rpc";
    private int maxInFlight = 50_000;
    private int maxMessageSize = 16 * 1024 * 1024;
    private List<com.rabbitmq.client.Address> addresses = List.of();
    private boolean quorumQueues;
    private String deadLetterExchange;
    private java.util.Set<Class<? extends Throwable>> remoteExceptions = java.util.Set.of();
    private final List<ClientInterceptor> interceptors = new java.util.ArrayList<>();
    private boolean oneWayConfirms = true;
    private final List<ServerInterceptor> serverInterceptors = new java.util.ArrayList<>();

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

    /** The codec, for JSON and CBOR alike; default {@link Codec#json()}. */
    public Builder codec(Codec codec) {
      this.codec = Objects.requireNonNull(codec, "codec");
      return this;
    }

    /**
     * The format proxies send requests in, for services whose {@code @RpcService(encoding)} chooses
     * none (the annotation wins when it does): {@link Encoding#JSON} (the default, and what
     * {@link Encoding#DEFAULT} means here) or {@link Encoding#CBOR}, binary and without base64 for
     * {@code byte[]}, for large payloads. A CBOR call whose server does not read CBOR (an older
     * rabbit-rpc, a JSON-only peer) is sent again once in JSON, and that queue gets JSON from then
     * on (docs/PROTOCOL.md, "Negotiation"). {@code @OneWay} requests, which no reply could
     * negotiate, are always JSON; plain-text services stay plain text. Servers read every format
     * whatever this says.
     */
    public Builder encoding(Encoding encoding) {
      this.encoding = Objects.requireNonNull(encoding, "encoding");
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
     * Workers per exported service: how many requests a server runs at once, each on a worker
     * thread of its own (threads are made when needed and end after a minute idle). Default
     * 8, or twice the available processors if that is more: enough that a few slow
     * handlers do not hold up the short ones, and threads that wait (for I/O, for nested calls) cost
     * little.
     */
    public Builder workers(int workers) {
      if (workers < 1) {
        throw new IllegalArgumentException("workers must be at least 1: " + workers);
      }
      this.workers = workers;
      return this;
    }

    /**
     * Requests an exported service takes from its queue at once: those running and those waiting
     * for a worker. Set, the prefetch is kept as set: more than the workers raises throughput for
     * short handlers at the cost of fairness (a request may wait behind a slow one in this server
     * while another server on the queue is free); fewer leaves workers idle.
     *
     * <p>Not set (the default), it adapts to the handlers. It starts at as many as {@link
     * #workers(int)}, so that a server never holds a request it cannot start at once — RabbitMQ's
     * "fair dispatch". Once 1,000 requests in a row were each handled within 5 ms it goes to 8
     * times that, so that the broker streams requests to the server instead of sending one per
     * ack (a held request then waits for a few short handlers at most); the first request that
     * takes 20 ms or more brings it back. RabbitMQ sets a consumer's prefetch when the consumer is
     * made, so each change consumes again with the new prefetch and cancels the old consumer;
     * requests already delivered run and are acknowledged as usual.
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
     *
     * <p>The broker has a limit of its own, {@code max_message_size}: 16 MiB by default on RabbitMQ
     * 4.x, 128 MiB on 3.x. RabbitMQ does not announce it; it closes the channel of a message above
     * it (406 PRECONDITION_FAILED). Set above the broker's limit, a request between the two fails
     * with {@code RESOURCE_EXHAUSTED} carrying the broker's reply code and text, the other calls on
     * that channel fail {@code UNAVAILABLE} (the connection and its other channels are unaffected),
     * and from then on the client and its servers apply the broker's limit: a larger request fails
     * before it is sent, a larger result is answered {@code RESOURCE_EXHAUSTED}. A server's reply
     * that the broker refused before it learned the limit costs its intake channel: the request
     * comes back redelivered and is run again only if it is {@code @Idempotent}.
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
     * reachable one in this order is used (not shuffled, as amqp-client would), and recovery tries
     * them again in this order when the connection is lost, so it moves to the next one while a
     * node is down. List a client's nearest node first; spread clients over a cluster by giving
     * them lists in different orders. Credentials and virtual host still come from the URI or
     * connection factory.
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

    /**
     * Adds an interceptor that sees every attempt of every call of this client's proxies. They run
     * in the order added: the first added sees each attempt first and its outcome last. See
     * {@link ClientInterceptor} for the threads they run on.
     */
    public Builder interceptor(ClientInterceptor interceptor) {
      this.interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * Adds an interceptor that sees every request the services this client exports run, in the
     * order added: the first added sees each request first and its outcome last. See
     * {@link ServerInterceptor}.
     */
    public Builder serverInterceptor(ServerInterceptor interceptor) {
      this.serverInterceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * Whether {@code @OneWay} calls wait for the broker's publisher confirm (default true): the call
     * then returns once the broker has taken the request, and fails with {@code UNAVAILABLE} if no
     * queue took it. False: fire and forget, a call returns once the request is written; a request
     * no queue took is logged and counted, and the caller never knows.
     */
    public Builder oneWayConfirms(boolean oneWayConfirms) {
      this.oneWayConfirms = oneWayConfirms;
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
