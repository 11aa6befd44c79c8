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
  private final int workers;
  private final Duration shutdownGrace;
  private final ReplyRouter router;
  private final AmqpTransport transport;
  private final Map<Class<?>, ServiceDescriptor> services = new ConcurrentHashMap<>();
  private final List<RpcServer> servers = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private RpcClient(Builder builder, ConnectionFactory factory) {
    this.codec = builder.codec;
    this.timeout = builder.timeout;
    this.workers = builder.workers;
    this.shutdownGrace = builder.shutdownGrace;
    this.router = new ReplyRouter(codec.mapper(), builder.executor);
    this.transport = new AmqpTransport(factory, builder.connectionName, builder.channels, router);
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
   *
   * @throws IllegalArgumentException if {@code service} is not a valid service interface; the
   *     message names the method at fault
   */
  public <T> T proxy(Class<T> service) {
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
    return proxy(service, describe(service).withQueue(Objects.requireNonNull(queue, "queue")));
  }

  private <T> T proxy(Class<T> service, ServiceDescriptor descriptor) {
    return service.cast(Proxy.newProxyInstance(
        service.getClassLoader(), new Class<?>[] {service}, new ProxyHandler(this, descriptor)));
  }

  /**
   * Serves {@code implementation} on the service's queue until the returned server is closed. The
   * queue is declared as RabbitMQ's tutorial does: non-durable, non-exclusive, not auto-delete.
   *
   * @throws IllegalArgumentException if {@code service} is not a valid service interface
   * @throws RpcException {@code UNAVAILABLE} if the broker cannot be reached
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
   * @throws RpcException {@code UNAVAILABLE} if the broker cannot be reached
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
    RpcServer server = new RpcServer(this, new Dispatcher(descriptor, implementation, codec.mapper()), workers, shutdownGrace);
    servers.add(server);
    try {
      server.start(transport);
    } catch (RuntimeException e) {
      servers.remove(server);
      throw e;
    }
    return server;
  }

  /** Calls in flight, waiting for their replies. */
  public int pendingCalls() {
    return router.pendingCount();
  }

  /** Replies dropped because no call waited for them (late after a deadline, duplicate, or foreign). */
  public long droppedReplies() {
    return router.droppedReplies();
  }

  /** The client's default call timeout. */
  public Duration timeout() {
    return timeout;
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

  /** One remote call: encode, register, publish, then wait (sync) or return the future (async). */
  Object call(ServiceDescriptor service, MethodDescriptor method, Object[] args) throws Throwable {
    if (closed) {
      throw new RpcException(Code.CANCELLED, method.key + ": the client is closed");
    }
    byte[] body = Envelope.encodeRequest(codec.mapper(), method, args);
    CallChannel channel = transport.callChannel();
    long timeoutNanos = method.timeoutNanos;
    long timeoutMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
    PendingCall call = router.register(method, channel, timeoutNanos);
    AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
        .contentType(Envelope.CONTENT_TYPE)
        .correlationId(call.correlationId)
        .replyTo(channel.replyTo)
        .headers(Map.of(
            Envelope.HEADER_PROTOCOL, Envelope.PROTOCOL_VERSION,
            Envelope.HEADER_DEADLINE, System.currentTimeMillis() + timeoutMillis))
        // RabbitMQ drops a request still queued at its deadline; the server checks the header too.
        .expiration(transport.isRabbitMq() ? Long.toString(timeoutMillis) : null)
        .build();
    try {
      channel.publish(service.queue, properties, body);
    } catch (IOException | ShutdownSignalException e) {
      call.forget();
      throw new RpcException(Code.UNAVAILABLE,
          method.key + ": cannot send the request to " + transport.brokerDescription + ": " + e.getMessage(), e);
    }
    if (method.async) {
      router.armDeadline(call);
      return call;
    }
    try {
      return call.get(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw e.getCause();
    } catch (TimeoutException e) {
      router.expire(call);
      return outcome(call);
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw new RpcException(Code.CANCELLED, method.key + ": interrupted while waiting for the reply", e);
    }
  }

  /** The result of a call that is known to be done. */
  private static Object outcome(PendingCall call) throws Throwable {
    try {
      return call.getNow(null);
    } catch (CompletionException e) {
      throw e.getCause();
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
    // Callers learn at once; servers may then take up to their grace period to drain.
    router.failAll(call -> true, call -> new RpcException(Code.CANCELLED, call.method.key + ": the client was closed"));
    for (RpcServer server : servers) {
      server.close();
    }
    transport.close();
    router.shutdown();
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
    private int channels = 1;
    private Duration shutdownGrace = Duration.ofSeconds(10);
    private String connectionName = "rabbit-rpc";

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
     * Worker threads per exported service, which is also the number of requests a server takes
     * from its queue at once (prefetch); default: available processors.
     */
    public Builder workers(int workers) {
      if (workers < 1) {
        throw new IllegalArgumentException("workers must be at least 1: " + workers);
      }
      this.workers = workers;
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

    /** The connection's name, shown by the broker's tools; default {@code rabbit-rpc}. */
    public Builder connectionName(String connectionName) {
      this.connectionName = Objects.requireNonNull(connectionName, "connectionName");
      return this;
    }

    /**
     * A client with this configuration. It does not connect yet: the connection opens on the first
     * call or export.
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
      if (factory.isSSL()) {
        // setUri("amqps://…") trusts every certificate; use the JVM's trust store and check the host instead.
        try {
          factory.useSslProtocol(SSLContext.getDefault());
        } catch (NoSuchAlgorithmException e) {
          throw new IllegalStateException("no default TLS context in this JVM", e);
        }
        factory.enableHostnameVerification();
      }
      return factory;
    }
  }
}
