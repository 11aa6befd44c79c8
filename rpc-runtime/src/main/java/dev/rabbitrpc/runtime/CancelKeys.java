package dev.rabbitrpc.runtime;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The cancel key of each call (docs/PROTOCOL.md §7): a keyed hash of its correlation id under a
 * secret of this process, sent with the request ({@link WireHeaders#CANCEL_KEY}) and with a cancel
 * notice, so that only the client and the server consuming the request know it before the cancel
 * ({@link Cancellations} says why).
 *
 * <p>Thread-safe.
 */
final class CancelKeys {
  /** Keys are 128 bits in lowercase hex. */
  static final int KEY_CHARS = 32;

  private CancelKeys() {}

  /** The cancel key of a call with {@code correlationId}, made by this process's clients. */
  static String keyFor(String correlationId) {
    return Keys.keyFor(correlationId);
  }

  /**
   * Starts making the process's key secret on a background thread. Loading the JDK's security
   * providers takes tens of milliseconds in a fresh JVM; started with a proxy, while the client
   * connects, it overlaps the connection instead of delaying the first call by that much.
   */
  static void prepareKeys() {
    if (KEYS_REQUESTED.compareAndSet(false, true)) {
      Threads.daemon("rabbit-rpc-cancel-keys").newThread(() -> keyFor("")).start();
    }
  }

  private static final AtomicBoolean KEYS_REQUESTED = new AtomicBoolean();

  /** The process's key secret, made when first used (class initialisation runs once, other threads wait for it). */
  private static final class Keys {
    private static final byte[] SECRET = new byte[32];
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    /**
     * Each thread's digest and buffers, reused: a call's key costs its string and nothing else (a
     * digest cloned per call, its hash and hex cost about 600 bytes of garbage per call).
     */
    private static final ThreadLocal<Hasher> HASHERS = ThreadLocal.withInitial(Hasher::new);

    static {
      new SecureRandom().nextBytes(SECRET);
      HASHERS.get(); // fails here, once, if this JDK has no SHA-256 (every JDK has it)
    }

    /** SHA-256(secret ‖ id), truncated to 128 bits: with the secret of fixed length in front, a keyed hash. */
    static String keyFor(String correlationId) {
      return HASHERS.get().key(correlationId);
    }

    /** One thread's. */
    private static final class Hasher {
      private final MessageDigest digest;
      private final byte[] hash = new byte[32];
      private final char[] key = new char[KEY_CHARS];
      private byte[] id = new byte[64];

      Hasher() {
        try {
          digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
          throw new IllegalStateException(e);
        }
      }

      String key(String correlationId) {
        int length = ascii(correlationId);
        digest.update(SECRET);
        byte[] idBytes = length >= 0 ? id : correlationId.getBytes(StandardCharsets.UTF_8);
        digest.update(idBytes, 0, length >= 0 ? length : idBytes.length);
        try {
          digest.digest(hash, 0, hash.length); // resets the digest
        } catch (DigestException e) {
          throw new IllegalStateException(e);
        }
        for (int i = 0; i < KEY_CHARS / 2; i++) {
          key[2 * i] = HEX[(hash[i] >> 4) & 0xf];
          key[2 * i + 1] = HEX[hash[i] & 0xf];
        }
        return new String(key);
      }

      /** Copies an ASCII id (the correlation ids this library makes) into {@link #id}: its length, or -1 if not ASCII. */
      private int ascii(String text) {
        int length = text.length();
        if (length > id.length) {
          id = new byte[Math.max(length, 2 * id.length)];
        }
        for (int i = 0; i < length; i++) {
          char c = text.charAt(i);
          if (c >= 0x80) {
            return -1;
          }
          id[i] = (byte) c;
        }
        return length;
      }
    }
  }
}
