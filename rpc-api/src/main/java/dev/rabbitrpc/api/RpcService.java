package dev.rabbitrpc.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an interface as an RPC service and names the queue its requests travel on.
 *
 * <p>Without this annotation the request queue is the interface's fully-qualified name. A service
 * may be spread over several queues ({@link #shards()}).
 *
 * <pre>{@code
 * @RpcService(queue = "rpc_queue")
 * public interface FibonacciService { int fib(int n); }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface RpcService {
  /** The request queue. Empty means the interface's fully-qualified name. */
  String queue() default "";

  /**
   * Whether proxies call this service in plain text, as the servers of RabbitMQ's RPC tutorial
   * expect: the bare argument as the body ({@code 30}), no content type, and the bare result as
   * the reply ({@code 832040}). Only for an interface with exactly one method of one parameter;
   * see docs/PROTOCOL.md, "Plain-text mode". Servers need no such setting: they answer each
   * request in the format it came in.
   */
  boolean plainText() default false;

  /**
   * The format proxies send this service's requests in: {@link Encoding#DEFAULT} (the client's
   * choice, {@code RpcClient.Builder.encoding}, JSON unless set), {@link Encoding#JSON} or
   * {@link Encoding#CBOR}. Set here, it wins over the client's. Not with {@link #plainText()}.
   * Servers need no such setting: they answer each request in the format it came in.
   */
  Encoding encoding() default Encoding.DEFAULT;

  /**
   * How many request queues the service is spread over, 1 to 64. With 1 (the default) its requests
   * travel on {@link #queue()} itself; with N they travel on {@code queue.0} to {@code queue.N-1},
   * one queue each, so that a service can outgrow what one queue (one broker process) carries.
   * A proxy sends each call to one shard: the one its {@link ShardKey} argument hashes to, else
   * the next in turn (round-robin, per client). A server consumes every shard unless told to
   * serve a subset ({@code client.server(type, impl).shards(0, 1).export()}). See docs/PROTOCOL.md, "Sharded services".
   * Changing the count moves keys to other shards: clients and servers must agree on it.
   */
  int shards() default 1;
}
