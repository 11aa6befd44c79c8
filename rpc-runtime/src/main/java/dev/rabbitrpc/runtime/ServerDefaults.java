package dev.rabbitrpc.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The server settings {@link RpcClient.Builder} collects (its package-private superclass, so the
 * setters are the builder's): the client-wide defaults of the servers the client exports, each
 * overridden by a {@link ServerBuilder} setting of the same name. Not thread-safe, like the builder.
 */
abstract class ServerDefaults<B extends ServerDefaults<B>> extends ClientSettings<B> {
  /** The least default of {@code RpcClient.Builder.workers(int)}. */
  static final int DEFAULT_WORKERS = 8;
  int workers = Math.max(DEFAULT_WORKERS, 2 * Runtime.getRuntime().availableProcessors());
  /** 0: not set, adaptive (FlowControl), starting at as many as the workers. */
  int prefetch;
  Duration shutdownGrace = Duration.ofSeconds(10);
  boolean describable = true;
  boolean quorumQueues;
  String deadLetterExchange;
  final List<ServerInterceptor> serverInterceptors = new java.util.ArrayList<>();

  /**
   * Workers per exported service: how many requests a server runs at once, each on a worker
   * thread of its own (threads are made when needed and end after a minute idle). Default
   * 8, or twice the available processors if that is more: enough that a few slow
   * handlers do not hold up the short ones, and threads that wait (for I/O, for nested calls) cost
   * little.
   *
   * <p>A client-wide default: the setting of every server this client exports that does not set
   * its own ({@link ServerBuilder#workers(int)}).
   */
  public B workers(int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be at least 1: " + workers);
    }
    this.workers = workers;
    return self();
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
   *
   * <p>A client-wide default: the setting of every server this client exports that does not set
   * its own ({@link ServerBuilder#prefetch(int)}).
   */
  public B prefetch(int prefetch) {
    if (prefetch < 1 || prefetch > 65_535) {
      throw new IllegalArgumentException("prefetch must be between 1 and 65535: " + prefetch);
    }
    this.prefetch = prefetch;
    return self();
  }

  /**
   * How long closing a server waits for calls already running; default 10 s.
   *
   * <p>A client-wide default: the setting of every server this client exports that does not set
   * its own ({@link ServerBuilder#shutdownGrace(Duration)}).
   */
  public B shutdownGrace(Duration shutdownGrace) {
    if (shutdownGrace.isNegative()) {
      throw new IllegalArgumentException("shutdownGrace must not be negative: " + shutdownGrace);
    }
    this.shutdownGrace = shutdownGrace;
    return self();
  }

  /**
   * Whether exported services answer the describe request ({@link RpcClient#describe(String)})
   * with their {@link ServiceContract}; default true. When false they answer it
   * {@code UNKNOWN_METHOD}, as a method they do not have.
   *
   * <p>A client-wide default: the setting of every server this client exports that does not set
   * its own ({@link ServerBuilder#describable(boolean)}).
   */
  public B describable(boolean describable) {
    this.describable = describable;
    return self();
  }

  /**
   * Exported services declare the request queues that do not exist yet as quorum queues
   * (replicated) instead of classic durable queues. A queue that exists is served as it is.
   *
   * <p>A client-wide default: the setting of every server this client exports that does not set
   * its own ({@link ServerBuilder#quorumQueues(boolean)}).
   */
  public B quorumQueues(boolean quorumQueues) {
    this.quorumQueues = quorumQueues;
    return self();
  }

  /**
   * Exported services declare the request queues that do not exist yet with this dead-letter
   * exchange, which receives requests the server rejects (no {@code reply_to}) and, on RabbitMQ,
   * requests that expired in the queue. A queue that exists is served as it is.
   *
   * <p>A client-wide default: the setting of every server this client exports that does not set
   * its own ({@link ServerBuilder#deadLetterExchange(String)}).
   */
  public B deadLetterExchange(String exchange) {
    this.deadLetterExchange = Objects.requireNonNull(exchange, "exchange");
    return self();
  }

  /**
   * Adds an interceptor that sees every request the services this client exports run, in the
   * order added: the first added sees each request first and its outcome last. See
   * {@link ServerInterceptor}.
   *
   * <p>A client-wide default: the setting of every server this client exports that does not set
   * its own ({@link ServerBuilder#serverInterceptor(ServerInterceptor)}).
   */
  public B serverInterceptor(ServerInterceptor interceptor) {
    this.serverInterceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
    return self();
  }
}
