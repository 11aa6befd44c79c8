package dev.rabbitrpc.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an interface as an RPC service and names the queue its requests travel on.
 *
 * <p>Without this annotation the request queue is the interface's fully-qualified name.
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
}
