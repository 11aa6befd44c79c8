package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.api.Encoding;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

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
  static final String DEFAULT_URI = ClientSettings.DEFAULT_URI;
  static final String URI_ENV = "RPC_AMQP_URI";
  static final String URI_PROPERTY = "rpc.amqp.uri";

  private final Codec codec;
  private final Duration timeout;
  private final Encoding encoding;
  /** Shared by the client's calls and its servers' replies: lowered to the broker's limit once it refused a message. */
  private final MessageSizeLimit messageSizeLimit;
  private final QueueSettings queueSettings;
  private final int workers;
  private final int prefetch;
  /** No prefetch set: servers start at the workers' count and adapt it ({@link FlowControl}). */
  private final boolean adaptivePrefetch;
  private final Duration shutdownGrace;
  private final boolean describable;
  /** Proxies check their server's contract before their first call ({@link ContractCheck}). */
  private final boolean verifyContracts;
  private final ClientParts parts;
  private final ReplyRouter router;
  private final LateReplies late;
  private final AmqpTransport transport;
  private final ConsumerProbe probe;
  private final CallEngine engine;
  private final JsonCall jsonCall;
  /** In registration order (ServerInterceptor, "Order"). */
  private final List<ServerInterceptor> serverInterceptors;
  private final Map<Class<?>, ServiceDescriptor> services = new ConcurrentHashMap<>();
  private final List<RpcServer> servers = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private RpcClient(Builder builder, ConnectionFactory factory) {
    this.codec = builder.codec;
    this.timeout = builder.timeout;
    this.encoding = builder.encoding == Encoding.DEFAULT ? Encoding.JSON : builder.encoding;
    this.queueSettings = new QueueSettings(builder.quorumQueues, builder.deadLetterExchange);
    this.workers = builder.workers;
    this.prefetch = builder.prefetch == 0 ? builder.workers : builder.prefetch;
    this.adaptivePrefetch = builder.prefetch == 0;
    this.shutdownGrace = builder.shutdownGrace;
    this.describable = builder.describable;
    this.verifyContracts = builder.verifyContracts;
    this.parts = new ClientParts(builder, factory, codec, WireFormat.forEncoding(encoding));
    this.router = parts.router;
    this.late = parts.late;
    this.messageSizeLimit = parts.messageSizeLimit;
    this.transport = parts.transport;
    this.probe = parts.probe;
    this.engine = parts.engine;
    this.jsonCall = new JsonCall(codec);
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

  /**
   * The contract of the service served on {@code queue}, as its server describes it (the request
   * {@code rpc.describe}, docs/PROTOCOL.md, "Describing a service"): queues, methods, parameter
   * names and JSON Schemas, flags and timeouts. For a sharded service, ask any of its shard queues.
   * A call like any other, within the client's default timeout.
   *
   * @throws RpcException {@code UNAVAILABLE} if no server consumes from {@code queue} (or the
   *     queue does not exist), {@code UNKNOWN_METHOD} if its server does not describe itself
   *     ({@link ServerBuilder#describable(boolean)}), {@code DEADLINE_EXCEEDED} if it does not answer in time
   * @throws IllegalArgumentException if the queue name is empty or longer than 255 characters
   */
  public ServiceContract describe(String queue) {
    transport.connectInBackground();
    Objects.requireNonNull(queue, "queue");
    ServiceDescriptor descriptor = services.computeIfAbsent(Describe.class,
        type -> ServiceDescriptor.parse(type, codec, timeout, true));
    return proxy(Describe.class, descriptor.withQueue(queue)).describe();
  }

  /**
   * Checks that the server on the service's queue can talk with proxies of {@code service}: asks
   * it for its contract ({@link #describe(String)}; a sharded service's first shard queue) and
   * compares it with this interface's ({@link ServiceContract}) by the rules of
   * {@link ContractChanges}, this interface as the old side and the server as the new. Call it at
   * start-up, before the first call, to fail fast on a deployment mismatch; it is one call, within
   * the client's default timeout.
   *
   * @throws RpcException {@code PROTOCOL} if the contracts differ in a way that breaks calls, its
   *     message listing every breaking change, one per line; or the code of the describe call's
   *     failure ({@code UNAVAILABLE} with no server, {@code UNKNOWN_METHOD} if it does not describe itself)
   * @throws IllegalArgumentException if {@code service} is not a valid service interface
   */
  public void verify(Class<?> service) {
    verify(describe(service));
  }

  /** {@link #verify(Class)} of the service served on {@code queue} (see {@link #proxy(Class, String)}). */
  public void verify(Class<?> service, String queue) {
    verify(describe(service).withQueue(Objects.requireNonNull(queue, "queue")));
  }

  private void verify(ServiceDescriptor descriptor) {
    ServiceContract mine = ServiceContract.of(descriptor, codec.mapper());
    ServiceContract theirs = describe(descriptor.shard(0).queue);
    List<ContractChanges.Change> breaking = ContractChanges.breaking(ContractChanges.between(mine, theirs));
    if (!breaking.isEmpty()) {
      StringBuilder message = new StringBuilder(descriptor.type.getName()).append(" cannot talk with the server on ")
          .append(descriptor.shard(0).queue).append(" (").append(theirs.service()).append(", ").append(theirs.library())
          .append("): ").append(breaking.size()).append(" breaking change").append(breaking.size() == 1 ? "" : "s");
      breaking.forEach(change -> message.append('\n').append(change));
      throw new RpcException(Code.PROTOCOL, message.toString());
    }
  }

  /**
   * Calls the method whose wire name is {@code method} on the service served on {@code queue},
   * with JSON arguments and without its Java interface, and returns its result as JSON: for tools
   * (the {@code rabbit-rpc} command line), gateways and scripts that learn the contract at run time
   * ({@link #describe(String)}). The call goes through the same pipeline as a proxy's: the
   * client's interceptors, deadline ({@code timeout}, or less when called inside a handler),
   * checks and typed errors. It is sent in the client's {@link Builder#encoding encoding}, never
   * retried (nothing says the method is idempotent) and never in plain text. The arguments are
   * not checked here against the method's schemas: the server decodes them into its parameter
   * types and refuses a mismatch with {@code INVALID_ARGUMENT}. docs/guide/clients-and-brokers.md,
   * "Calls without an interface".
   *
   * <p>Blocks the calling thread until the reply or the deadline; thread-safe, call it from any
   * number of threads. An interrupt ends the wait with {@code CANCELLED}. Interceptors see the
   * wire name as {@link RpcCall#methodName()}; {@link RpcCall#service()} and {@link RpcCall#method()}
   * are a stand-in interface's, not the service's.
   *
   * @param queue the request queue (for a sharded service, one of its shard queues)
   * @param method the method's wire name ({@code @RpcMethod}, else its Java name)
   * @param args a JSON array with one element per parameter, in order
   * @param timeout the call's deadline, from now
   * @return the result, {@code NullNode} for a method without one
   * @throws RpcException with the code of the failure, as a proxy's call: {@code UNAVAILABLE} (no
   *     server on the queue), {@code UNKNOWN_METHOD}, {@code INVALID_ARGUMENT} (the server could not
   *     read the arguments), {@code APPLICATION_ERROR} (the method threw; even a type it declares
   *     comes as this, its class name in {@link RpcException#remoteType()}), {@code DEADLINE_EXCEEDED} …
   * @throws IllegalArgumentException if {@code args} is not an array, {@code method} is blank,
   *     {@code timeout} is not positive or the queue name is empty or longer than 255 characters
   */
  public com.fasterxml.jackson.databind.JsonNode callJson(String queue, String method,
      com.fasterxml.jackson.databind.JsonNode args, Duration timeout) {
    transport.connectInBackground();
    CancelKeys.prepareKeys();
    return jsonCall.call(engine, queue, method, args, timeout);
  }

  private <T> T proxy(Class<T> service, ServiceDescriptor descriptor) {
    CancelKeys.prepareKeys(); // like the connection, ready before the first call
    return service.cast(Proxy.newProxyInstance(
        service.getClassLoader(), new Class<?>[] {service},
        new ProxyHandler(engine, descriptor, verifyContracts && descriptor.type != Describe.class // describe is how it checks
            ? new ContractCheck(descriptor, this::verify) : null)));
  }

  /**
   * Serves {@code implementation} on the service's queue until the returned server is closed; a
   * sharded service on every one of its shard queues. A queue that exists is served as it is; one
   * that does not is declared durable (classic, or quorum with {@link Builder#quorumQueues(boolean)}).
   * The same as {@code server(service, implementation).export()}.
   *
   * @throws IllegalArgumentException if {@code service} is not a valid service interface
   * @throws RpcException {@code UNAVAILABLE} if the broker cannot be reached; {@code INTERNAL} if
   *     it refuses the queue (the message has the broker's reply code and text)
   */
  public <T> RpcServer export(Class<T> service, T implementation) {
    return server(service, implementation).export();
  }

  /**
   * Serves {@code implementation} on {@code queue} instead of the queue its {@code @RpcService}
   * names; see {@link #proxy(Class, String)}. The same as
   * {@code server(service, implementation).queue(queue).export()}.
   *
   * @throws IllegalArgumentException if {@code service} is not a valid service interface or the
   *     queue name is empty or longer than 255 characters
   * @throws RpcException {@code UNAVAILABLE} if the broker cannot be reached; {@code INTERNAL} if
   *     it refuses the queue
   */
  public <T> RpcServer export(Class<T> service, T implementation, String queue) {
    return server(service, implementation).queue(queue).export();
  }

  /**
   * A server of {@code implementation} to configure, then {@link ServerBuilder#export() export}:
   * its queue, the shards it serves, and settings of its own (workers, prefetch, grace, queue
   * arguments, server interceptors); those it leaves unset are this client's.
   */
  public <T> ServerBuilder<T> server(Class<T> service, T implementation) {
    return new ServerBuilder<>(service, implementation, workers, adaptivePrefetch ? 0 : prefetch, shutdownGrace,
        queueSettings.quorum(), queueSettings.deadLetterExchange(), serverInterceptors, describable, this::export);
  }

  /** A {@link ServerBuilder}'s export: its settings, the client's where it set none. */
  private RpcServer export(ServerBuilder<?> settings) {
    ServiceDescriptor descriptor = describe(settings.service());
    if (settings.queueName() != null) {
      descriptor = descriptor.withQueue(settings.queueName());
    }
    int[] shards = settings.shardsOf(descriptor);
    Object implementation = settings.implementation();
    if (!descriptor.type.isInstance(implementation)) {
      throw new IllegalArgumentException(
          implementation.getClass().getName() + " does not implement " + descriptor.type.getName());
    }
    settings.checkReplyStore(descriptor);
    int prefetch = settings.prefetch() == 0 ? settings.workers() : settings.prefetch();
    RpcServer server = new RpcServer(
        new Dispatcher(descriptor, implementation, codec, messageSizeLimit, settings.interceptors(),
            settings.describable(), settings.replyStore()), shards,
        new ServerWorkers(descriptor.queue, settings.workers(), settings.runOnDeliveryThread()), prefetch,
        settings.prefetch() == 0, settings.shutdownGrace(), settings.queueSettings(), servers::remove);
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
   * and skipped replies, the last late replies, consumer probes, returned one-way requests, replayed replies.
   */
  public ClientStats stats() {
    return new ClientStats(engine.pendingCalls(), engine.retries(), router.droppedReplies(), late.count(),
        late.skipped(), late.recent(), probe.asked(), transport.returnedOneWays.count(), router.replayedReplies());
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
        parts.shutdown();
      }
    }
  }

  /** All servers drain at once, within one grace period, not one after the other. */
  private void closeServers() {
    List<RpcServer> closing = List.copyOf(servers);
    for (RpcServer server : closing) {
      server.beginClose();
    }
    for (RpcServer server : closing) {
      try {
        server.awaitClosed(); // each within its own grace, counted from its beginClose
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
  public static final class Builder extends ServerDefaults<Builder> {
    private Builder() {}

    @Override
    Builder self() {
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
  }
}
