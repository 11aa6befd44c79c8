package dev.rabbitrpc.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.concurrent.TimeUnit;

/**
 * Overrides the client's default deadline for one method, or for every method of an interface.
 *
 * <p>A call that has no reply when its deadline passes fails with {@link RpcException.Code#DEADLINE_EXCEEDED}.
 * A method annotation wins over a type annotation, which wins over the client's default.
 *
 * <p>For a streaming method ({@code Stream<T>} or {@code Flow.Publisher<T>}) {@link #value()} bounds
 * the whole stream, from the request to the end marker, and {@link #idle()} the wait for each next
 * item (docs/guide/streaming.md).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Timeout {
  /** The time a call may take, in {@link #unit()}; must be positive. */
  long value();

  /** Unit of {@link #value()}; milliseconds by default. */
  TimeUnit unit() default TimeUnit.MILLISECONDS;

  /**
   * Streaming methods only: the longest a stream may go without progress, in {@link #unit()} — the
   * caller waiting for an item it asked for, or the server waiting for the caller to ask for more.
   * Zero or less (the default): the whole stream's {@link #value()}.
   */
  long idle() default 0;
}
