package dev.rabbitrpc.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.concurrent.TimeUnit;

/**
 * Runs a method at most once per call, however often the call is retried or redelivered: the
 * server remembers each call's reply by its call key and answers a repeated request with the stored
 * reply instead of running the method again (docs/guide/replayed-replies.md, docs/PROTOCOL.md
 * "Replayed replies").
 *
 * <p>The client gives every call of such a method a key that every attempt carries ({@code
 * rpc-call-key}): a fresh one per call, or the value of the parameter annotated {@link CallKey}, so
 * that a restarted process can retry with the same key. Because a retry can no longer run the
 * method twice, the client retries such calls as it retries {@link Idempotent} ones (after
 * {@code UNAVAILABLE}, within the deadline).
 *
 * <p>The server needs a reply store to serve such a method ({@code ServerBuilder.replyStore}); a
 * duplicate that arrives while the first run is in progress waits for it, within its deadline. On
 * an interface, applies to every method. Not for streaming or {@link OneWay} methods.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Deduplicated {
  /**
   * How long the server keeps a call's reply, in {@link #unit()}: longer than any retry of the call
   * can arrive (with {@link CallKey}, longer than a restarted caller may take to retry). Must be
   * longer than the method's timeout. One day by default.
   */
  long retention() default 24;

  /** Unit of {@link #retention()}; hours by default. */
  TimeUnit unit() default TimeUnit.HOURS;
}
