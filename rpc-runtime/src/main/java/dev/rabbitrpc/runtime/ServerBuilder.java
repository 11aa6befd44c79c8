package dev.rabbitrpc.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Exports one service with settings of its own, from {@link RpcClient#server(Class, Object)}:
 *
 * <pre>{@code
 * RpcServer server = client.server(Orders.class, orders).workers(32).shutdownGrace(Duration.ofSeconds(30)).export();
 * RpcServer some = client.server(Orders.class, orders).queue("orders-eu").shards(0, 1).export();
 * }</pre>
 *
 * <p>A setting left unset is the client's: what its {@link RpcClient.Builder} says, which serves as
 * the default of every server it exports. Server interceptors added here run after the client's.
 *
 * <p>Not thread-safe: configure and export on one thread. Each {@link #export()} starts a server.
 */
public final class ServerBuilder<T> {
  /** Starts a server with these settings: the client's export. */
  interface Exporter {
    RpcServer export(ServerBuilder<?> server);
  }

  private final Class<T> service;
  private final T implementation;
  private final Exporter exporter;
  private int workers;
  /** 0: not set, adaptive ({@link FlowControl}), starting at as many as the workers. */
  private int prefetch;
  private Duration shutdownGrace;
  private boolean quorumQueues;
  private String deadLetterExchange;
  private final List<ServerInterceptor> interceptors;
  private String queue;
  private int[] shards;
  private boolean describable;
  private ReplyStore replyStore;
  private boolean runOnDeliveryThread;

  /**
   * @param prefetch the client's prefetch, 0 if it set none (adaptive)
   * @param interceptors the client's server interceptors, in order
   * @param describable the client's {@link RpcClient.Builder#describable(boolean)}
   */
  ServerBuilder(Class<T> service, T implementation, int workers, int prefetch, Duration shutdownGrace,
      boolean quorumQueues, String deadLetterExchange, List<ServerInterceptor> interceptors, boolean describable,
      Exporter exporter) {
    this.service = Objects.requireNonNull(service, "service");
    this.implementation = Objects.requireNonNull(implementation, "implementation");
    this.workers = workers;
    this.prefetch = prefetch;
    this.shutdownGrace = shutdownGrace;
    this.quorumQueues = quorumQueues;
    this.deadLetterExchange = deadLetterExchange;
    this.interceptors = new ArrayList<>(interceptors);
    this.describable = describable;
    this.exporter = exporter;
  }

  /** Serves on {@code queue} instead of the queue the service's {@code @RpcService} names; see {@link RpcClient#proxy(Class, String)}. */
  public ServerBuilder<T> queue(String queue) {
    this.queue = Objects.requireNonNull(queue, "queue");
    return this;
  }

  /**
   * Serves some of the shards of a sharded service ({@code @RpcService(shards = N)}): the queues
   * {@code queue.i} of the shards given, 0 to N-1, so that servers can be placed per shard; servers
   * on subsets that together cover every shard serve the whole service. Unset: every shard. Checked
   * by {@link #export()}: at least one, none twice, each one the service has.
   */
  public ServerBuilder<T> shards(int... shards) {
    this.shards = Objects.requireNonNull(shards, "shards").clone();
    return this;
  }

  /** How many requests the server runs at once; see {@link RpcClient.Builder#workers(int)}. */
  public ServerBuilder<T> workers(int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be at least 1: " + workers);
    }
    this.workers = workers;
    return this;
  }

  /** Requests the server takes from its queues at once, kept as set; see {@link RpcClient.Builder#prefetch(int)}. */
  public ServerBuilder<T> prefetch(int prefetch) {
    if (prefetch < 1 || prefetch > 65_535) {
      throw new IllegalArgumentException("prefetch must be between 1 and 65535: " + prefetch);
    }
    this.prefetch = prefetch;
    return this;
  }

  /** How long closing the server waits for calls already running; see {@link RpcClient.Builder#shutdownGrace(Duration)}. */
  public ServerBuilder<T> shutdownGrace(Duration shutdownGrace) {
    if (shutdownGrace.isNegative()) {
      throw new IllegalArgumentException("shutdownGrace must not be negative: " + shutdownGrace);
    }
    this.shutdownGrace = shutdownGrace;
    return this;
  }

  /** Declares request queues that do not exist yet as quorum queues; see {@link RpcClient.Builder#quorumQueues(boolean)}. */
  public ServerBuilder<T> quorumQueues(boolean quorumQueues) {
    this.quorumQueues = quorumQueues;
    return this;
  }

  /** Declares request queues that do not exist yet with this dead-letter exchange; see {@link RpcClient.Builder#deadLetterExchange(String)}. */
  public ServerBuilder<T> deadLetterExchange(String exchange) {
    this.deadLetterExchange = Objects.requireNonNull(exchange, "exchange");
    return this;
  }

  /** Adds an interceptor that sees this server's requests, after the client's; see {@link ServerInterceptor}. */
  public ServerBuilder<T> serverInterceptor(ServerInterceptor interceptor) {
    this.interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
    return this;
  }

  /**
   * Whether the server answers the describe request ({@link RpcClient#describe(String)},
   * docs/PROTOCOL.md, "Describing a service") with the service's {@link ServiceContract}; unset,
   * the client's ({@link RpcClient.Builder#describable(boolean)}, default true). When false, the request is answered {@code UNKNOWN_METHOD}, as any method the service
   * does not have.
   */
  public ServerBuilder<T> describable(boolean describable) {
    this.describable = describable;
    return this;
  }

  /**
   * Where the replies of the service's {@link dev.rabbitrpc.api.Deduplicated @Deduplicated} methods
   * are kept, so that each call runs at most once (docs/guide/replayed-replies.md): an {@link
   * InMemoryReplyStore} for one server process, a {@link JdbcReplyStore} for several. Required if the
   * service has such a method; the application owns the store (it may serve several servers) and
   * closes it after them.
   */
  public ServerBuilder<T> replyStore(ReplyStore store) {
    this.replyStore = Objects.requireNonNull(store, "store");
    return this;
  }

  /**
   * Lets the server run a request on the connection's thread that delivered it, as the tutorial's
   * server does, instead of handing it to a worker, while requests come one at a time and every
   * handler is short (the judgement that deepens the default prefetch): one thread hand-off less per
   * request, about an eighth of a sequential call's latency on a local broker (docs/BENCHMARKS.md).
   * The first request that finds another waiting, and any handler of 20 ms or more, send requests
   * back to the workers; a service with a streaming method, or a {@code @Deduplicated} one with a
   * reply store, always uses them. Default false.
   *
   * <p><b>Only for handlers that never block.</b> While a handler runs there, the queue's next
   * requests wait for it instead of going to a free worker; and a handler that calls its own
   * service (the same queue) and waits for the reply waits until that call's deadline, because the
   * thread that would deliver the nested request is the one waiting. Handlers and server
   * interceptors must not depend on the thread they run on.
   */
  public ServerBuilder<T> runOnDeliveryThread(boolean runOnDeliveryThread) {
    this.runOnDeliveryThread = runOnDeliveryThread;
    return this;
  }

  /**
   * Serves the implementation until the returned server is closed. A queue that exists is served
   * as it is; one that does not is declared durable (classic, or quorum).
   *
   * @throws IllegalArgumentException if the service is not a valid service interface, the
   *     implementation does not implement it, the queue name is empty or too long, or the shards
   *     are not valid
   * @throws IllegalStateException if the service has a {@code @Deduplicated} method and no {@link #replyStore} is set
   * @throws dev.rabbitrpc.api.RpcException {@code UNAVAILABLE} if the broker cannot be reached;
   *     {@code INTERNAL} if it refuses a queue (the message has the broker's reply code and text)
   */
  public RpcServer export() {
    return exporter.export(this);
  }

  Class<T> service() {
    return service;
  }

  T implementation() {
    return implementation;
  }

  int workers() {
    return workers;
  }

  /** The prefetch set, or 0 if none is (adaptive). */
  int prefetch() {
    return prefetch;
  }

  Duration shutdownGrace() {
    return shutdownGrace;
  }

  QueueSettings queueSettings() {
    return new QueueSettings(quorumQueues, deadLetterExchange);
  }

  List<ServerInterceptor> interceptors() {
    return List.copyOf(interceptors);
  }

  boolean describable() {
    return describable;
  }

  boolean runOnDeliveryThread() {
    return runOnDeliveryThread;
  }

  /** The reply store set, or null. */
  ReplyStore replyStore() {
    return replyStore;
  }

  /** The queue set, or null. */
  String queueName() {
    return queue;
  }

  /** The shards set, or null for every shard. */
  int[] servedShards() {
    return shards == null ? null : shards.clone();
  }

  /** The shards to serve, ascending: those set, each one the service has, once; else every shard. */
  int[] shardsOf(ServiceDescriptor descriptor) {
    if (this.shards == null) {
      int[] all = new int[descriptor.shards];
      java.util.Arrays.setAll(all, i -> i);
      return all;
    }
    int[] shards = this.shards;
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

  /** A service with {@code @Deduplicated} methods is served only with a reply store: else a retry could run a call twice. */
  void checkReplyStore(ServiceDescriptor descriptor) {
    if (replyStore != null) {
      return;
    }
    for (MethodDescriptor method : descriptor.methods()) {
      if (method.deduplication != null) {
        throw new IllegalStateException(method.key + " is @Deduplicated: export " + descriptor.type.getSimpleName()
            + " with a reply store, client.server(" + descriptor.type.getSimpleName() + ".class, impl).replyStore(...)"
            + " — an InMemoryReplyStore for one server process, a JdbcReplyStore for several (docs/guide/replayed-replies.md)");
      }
    }
  }
}
