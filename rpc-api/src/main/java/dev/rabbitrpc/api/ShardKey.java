package dev.rabbitrpc.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the parameter whose value chooses the shard of a call to a sharded service
 * ({@link RpcService#shards()}): calls with equal keys go to the same shard queue, from any client,
 * in any JVM or language, as long as the shard count is the same. Calls of methods without one
 * go to the shards in turn.
 *
 * <pre>{@code
 * @RpcService(queue = "orders", shards = 4)
 * public interface Orders { Order place(@ShardKey String customerId, List<Item> items); }
 * }</pre>
 *
 * <p>At most one parameter per method. Its type must be {@code String}, {@code byte},
 * {@code short}, {@code int}, {@code long} (or their boxes), {@code java.util.UUID} or an enum;
 * any other fails when the proxy is created. A {@code null} key fails the call with
 * {@code INVALID_ARGUMENT} before anything is sent. The key's shard is the CRC-32 of the UTF-8
 * bytes of its canonical text (the string itself; the decimal number; the lower-case UUID; the
 * enum constant's name) modulo the shard count: docs/PROTOCOL.md, "Sharded services". On a
 * service of one shard it has no effect.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface ShardKey {}
