package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * The rules of sharded services (docs/PROTOCOL.md, "Sharded services"): the queue of each shard and
 * the shard of a key, which every peer, in any language, computes alike.
 *
 * <p>A key's shard is {@code crc32(utf8(canonical(key))) mod shards}, CRC-32 being the unsigned
 * IEEE 802.3 checksum of zlib, {@code java.util.zip.CRC32} and Python's {@code zlib.crc32}:
 * standard everywhere, so a peer needs no library of ours.
 *
 * <p>Stateless and thread-safe.
 */
final class Sharding {
  /** The most shards a service may have: a sane bound on queues, consumers and prefetch split per service. */
  static final int MAX_SHARDS = 64;

  private Sharding() {}

  /** The queue of shard {@code shard} of a service whose queue is {@code base}: {@code base.shard}. */
  static String queueName(String base, int shard) {
    return base + "." + shard;
  }

  /** Whether a {@code @ShardKey} parameter may have this type. */
  static boolean isKeyType(Class<?> type) {
    return type == String.class || type == UUID.class || type.isEnum()
        || type == long.class || type == Long.class || type == int.class || type == Integer.class
        || type == short.class || type == Short.class || type == byte.class || type == Byte.class;
  }

  /**
   * The key's canonical text: a string as it is, an integral number in decimal ({@code -42}), a
   * UUID in its lower-case 8-4-4-4-12 form, an enum constant by its name.
   */
  static String canonical(Object key) {
    if (key instanceof String) {
      return (String) key;
    }
    if (key instanceof Enum) {
      return ((Enum<?>) key).name();
    }
    if (key instanceof UUID) {
      return key.toString(); // always lower case
    }
    if (key instanceof Long || key instanceof Integer || key instanceof Short || key instanceof Byte) {
      return Long.toString(((Number) key).longValue());
    }
    throw new IllegalArgumentException("not a shard key type: " + key.getClass().getName());
  }

  /** The shard of {@code key} among {@code shards}: CRC-32 of its canonical text's UTF-8 bytes, modulo the count. */
  static int shardOf(Object key, int shards) {
    CRC32 crc = new CRC32();
    crc.update(canonical(key).getBytes(StandardCharsets.UTF_8));
    return (int) (crc.getValue() % shards);
  }

  /** The shard of a call's key argument; {@code INVALID_ARGUMENT} for a null key, before anything is sent. */
  static int shardOfArgument(String methodKey, int parameter, Object key, int shards) {
    if (key == null) {
      throw new RpcException(Code.INVALID_ARGUMENT, methodKey + ": the @ShardKey argument (parameter #"
          + (parameter + 1) + ") is null; a sharded call needs a key to choose its queue");
    }
    return shardOf(key, shards);
  }
}
