package dev.rabbitrpc.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the parameter of a {@link Deduplicated} method whose value is the call's key: the
 * application's own identifier of the operation (an order number, a payment's idempotency key), so
 * that a caller that restarts and calls again with the same value gets the stored reply of the first
 * call instead of a second run. Its text (a {@code String}, {@code UUID}, number or enum) is sent as
 * {@code rpc-call-key}, at most 200 characters, never null or empty.
 *
 * <p>At most one parameter per method; only on {@link Deduplicated} methods.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface CallKey {}
