package dev.rabbitrpc.runtime;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
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
    private static final MessageDigest KEYED;

    static {
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      try {
        KEYED = MessageDigest.getInstance("SHA-256"); // every JDK has it
      } catch (NoSuchAlgorithmException e) {
        throw new ExceptionInInitializerError(e);
      }
      KEYED.update(secret);
    }

    /** SHA-256(secret ‖ id), truncated to 128 bits: with the secret of fixed length in front, a keyed hash. */
    static String keyFor(String correlationId) {
      MessageDigest digest;
      try {
        digest = (MessageDigest) KEYED.clone();
      } catch (CloneNotSupportedException e) {
        throw new IllegalStateException("SHA-256 digests of this JDK cannot be cloned", e);
      }
      byte[] hash = digest.digest(correlationId.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, KEY_CHARS / 2);
    }
  }
}
