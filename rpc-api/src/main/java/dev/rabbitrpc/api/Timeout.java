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
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Timeout {
  /** The time a call may take, in {@link #unit()}; must be positive. */
  long value();

  /** Unit of {@link #value()}; milliseconds by default. */
  TimeUnit unit() default TimeUnit.MILLISECONDS;
}
