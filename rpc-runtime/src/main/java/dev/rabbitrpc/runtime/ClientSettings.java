package dev.rabbitrpc.runtime;

import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.api.Encoding;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;

/**
 * The client settings {@link RpcClient.Builder} collects, with their defaults and checks: the
 * broker (URI, factory, addresses, connection name), the calls (timeout, codec, encoding, executor,
 * channels, in-flight and size limits, remote exceptions, interceptors, one-way confirms). Its
 * public setters are {@code RpcClient.Builder}'s (this class is its package-private superclass, as
 * {@code AbstractStringBuilder} is {@code StringBuilder}'s); the server settings stay on
 * {@code RpcClient.Builder} itself. The fields are read once, by the {@link RpcClient} it builds.
 *
 * <p>Not thread-safe, like any builder.
 *
 * @param <B> the builder, returned by every setter for chaining
 */
abstract class ClientSettings<B extends ClientSettings<B>> {
  static final String DEFAULT_URI = "amqp://guest:guest@localhost:5672";

  String uri = DEFAULT_URI;
  ConnectionFactory connectionFactory;
  /** A client's timeout unless its builder sets one. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  Duration timeout = DEFAULT_TIMEOUT;
  Codec codec = Codec.json();
  Encoding encoding = Encoding.JSON;
  Executor executor;
  int channels = 1;
  String connectionName = "rabbit-rpc";
  int maxInFlight = 50_000;
  int maxMessageSize = 16 * 1024 * 1024;
  List<com.rabbitmq.client.Address> addresses = List.of();
  java.util.Set<Class<? extends Throwable>> remoteExceptions = java.util.Set.of();
  final List<ClientInterceptor> interceptors = new java.util.ArrayList<>();
  boolean oneWayConfirms = true;
  boolean verifyContracts;
  /** A streaming call's window unless set: {@link #streamWindow(int)}. */
  static final int DEFAULT_STREAM_WINDOW = 64;
  int streamWindow = DEFAULT_STREAM_WINDOW;

  ClientSettings() {}

  /** This builder, for chaining. */
  abstract B self();

  /**
   * The broker, e.g. {@code amqp://user:pass@host:5672/vhost}. {@code amqps://} uses the JVM's
   * default trust store and verifies the host name. Default {@code amqp://guest:guest@localhost:5672}.
   */
  public B uri(String uri) {
    this.uri = Objects.requireNonNull(uri, "uri");
    this.connectionFactory = null;
    return self();
  }

  /** Your own connection factory, used as it is (TLS, credentials, heartbeats, addresses…). */
  public B connectionFactory(ConnectionFactory connectionFactory) {
    this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory");
    return self();
  }

  /** The deadline of calls whose method and interface have no {@code @Timeout}; default 30 s. */
  public B timeout(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    this.timeout = timeout;
    return self();
  }

  /** The codec, for JSON and CBOR alike; default {@link Codec#json()}. */
  public B codec(Codec codec) {
    this.codec = Objects.requireNonNull(codec, "codec");
    return self();
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
  public B encoding(Encoding encoding) {
    this.encoding = Objects.requireNonNull(encoding, "encoding");
    return self();
  }

  /**
   * Where {@code CompletableFuture} results of async methods are completed, and so where their
   * dependent stages run. By default they complete on the client's reply thread, which is the
   * fastest; then dependent stages must not block — use the {@code …Async} variants or set an
   * executor here.
   */
  public B executor(Executor executor) {
    this.executor = Objects.requireNonNull(executor, "executor");
    return self();
  }

  /**
   * Channels for sending requests, each with its own reply consumer; calling threads are spread
   * over them. Default 1.
   */
  public B channels(int channels) {
    if (channels < 1) {
      throw new IllegalArgumentException("channels must be at least 1: " + channels);
    }
    this.channels = channels;
    return self();
  }

  /**
   * How many items of a streaming call ({@code Stream<T>} or {@code Flow.Publisher<T>} methods) its
   * server may send ahead of what the reader took: the most a stream buffers in this client, and
   * the most the server produces after a cancel. The reader grants more as it takes items, half a
   * window at a time. Default 64; sent with each streaming request ({@code rpc-stream-window}).
   */
  public B streamWindow(int items) {
    if (items < 1 || items > 1_000_000) {
      throw new IllegalArgumentException("streamWindow must be between 1 and 1,000,000 items: " + items);
    }
    this.streamWindow = items;
    return self();
  }

  /**
   * Calls in flight at most; a call beyond fails at once with {@code RESOURCE_EXHAUSTED} rather
   * than waiting, so that no caller waits longer than it asked. Default 50,000.
   */
  public B maxInFlight(int maxInFlight) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be at least 1: " + maxInFlight);
    }
    this.maxInFlight = maxInFlight;
    return self();
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
  public B maxMessageSize(int bytes) {
    if (bytes < 1024 || bytes > 60 * 1024 * 1024) {
      throw new IllegalArgumentException("maxMessageSize must be between 1 KiB and 60 MiB: " + bytes);
    }
    this.maxMessageSize = bytes;
    return self();
  }

  /**
   * Brokers of a cluster to connect to, e.g. {@code "rabbit1:5672", "rabbit2:5672"}: the first
   * reachable one in this order is used (not shuffled, as amqp-client would), and recovery tries
   * them again in this order when the connection is lost, so it moves to the next one while a
   * node is down. List a client's nearest node first; spread clients over a cluster by giving
   * them lists in different orders. Credentials and virtual host still come from the URI or
   * connection factory.
   */
  public B addresses(String... hostsAndPorts) {
    List<com.rabbitmq.client.Address> parsed = new java.util.ArrayList<>();
    for (String hostAndPort : hostsAndPorts) {
      parsed.add(com.rabbitmq.client.Address.parseAddress(Objects.requireNonNull(hostAndPort, "address")));
    }
    this.addresses = List.copyOf(parsed);
    return self();
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
  public final B remoteExceptions(Class<? extends Throwable>... types) {
    java.util.Set<Class<? extends Throwable>> registered = new java.util.HashSet<>();
    for (Class<? extends Throwable> type : types) {
      registered.add(Objects.requireNonNull(type, "type"));
    }
    this.remoteExceptions = java.util.Set.copyOf(registered);
    return self();
  }

  /**
   * Adds an interceptor that sees every attempt of every call of this client's proxies. They run
   * in the order added: the first added sees each attempt first and its outcome last. See
   * {@link ClientInterceptor} for the threads they run on.
   */
  public B interceptor(ClientInterceptor interceptor) {
    this.interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
    return self();
  }

  /**
   * Whether each proxy asks its server for its contract before its first call and compares it with
   * the interface, as {@link RpcClient#verify(Class)} does (default false). If the two cannot talk
   * (a method removed, a parameter retyped…), that call and every later one of the proxy fail with
   * {@code PROTOCOL}, listing the breaking changes, and nothing is sent. A server that does not
   * describe itself is not checked; one that cannot be asked yet (not running) is asked again at
   * the next call. The first call waits for the answer (one round trip, within the client's
   * timeout), an asynchronous one too.
   */
  public B verifyContracts(boolean verify) {
    this.verifyContracts = verify;
    return self();
  }

  /**
   * Whether {@code @OneWay} calls wait for the broker's publisher confirm (default true): the call
   * then returns once the broker has taken the request, and fails with {@code UNAVAILABLE} if no
   * queue took it. False: fire and forget, a call returns once the request is written; a request
   * no queue took is logged and counted, and the caller never knows.
   */
  public B oneWayConfirms(boolean oneWayConfirms) {
    this.oneWayConfirms = oneWayConfirms;
    return self();
  }

  /** The connection's name, shown by the broker's tools; default {@code rabbit-rpc}. */
  public B connectionName(String connectionName) {
    this.connectionName = Objects.requireNonNull(connectionName, "connectionName");
    return self();
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
