package dev.rabbitrpc.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares that running a method twice with the same arguments does no harm.
 *
 * <p>Only such methods are retried: the client retries a call that failed with
 * {@link RpcException.Code#UNAVAILABLE} (with backoff, within the call's deadline), and a server
 * runs a request again when the broker redelivers it after another server died mid-call. A
 * redelivered request for any other method is never run a second time: it is answered with
 * {@code UNAVAILABLE} instead. On an interface, applies to every method.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Idempotent {}
