package dev.rabbitrpc.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test (or a whole class) that needs a feature only RabbitMQ has, e.g. direct reply-to or
 * per-message TTL. On another broker (the embedded one) it is skipped, and the skip says why.
 *
 * <pre>{@code
 * @Test
 * @RequiresRabbitMq("per-message TTL drops a request still queued at its deadline")
 * void dropsQueuedRequestAtItsDeadline(RpcBroker broker) { ... }
 * }</pre>
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface RequiresRabbitMq {
  /** The RabbitMQ feature the test needs; it is part of the skip message. */
  String value();
}
