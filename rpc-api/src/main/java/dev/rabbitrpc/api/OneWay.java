package dev.rabbitrpc.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a method that sends its request and expects no reply: the caller does not wait for the
 * server, and the server runs it and answers nothing. The method returns {@code void}, or
 * {@code CompletableFuture<Void>}.
 *
 * <p>The request is still published {@code mandatory}. By default the client also waits for the
 * broker's publisher confirm, so that the call returns once the broker has taken the request and
 * fails with {@link RpcException.Code#UNAVAILABLE} if no queue took it; with confirms off
 * ({@code RpcClient.Builder.oneWayConfirms(false)}) it returns as soon as the request is written,
 * and a request no queue took is only logged and counted. What the server's handler does, and
 * whether it fails, the caller never learns: the server logs and counts its failures.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface OneWay {}
