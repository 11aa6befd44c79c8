package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.CallKey;
import dev.rabbitrpc.api.Deduplicated;
import dev.rabbitrpc.api.OneWay;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Deduplicated} method's settings, parsed with its {@link MethodDescriptor}: how long its
 * replies are kept and where a call's key comes from ({@link CallKey} parameter, or a fresh one per call).
 *
 * <p>Immutable and thread-safe.
 */
final class Deduplication {
  /** The longest call key, in characters (docs/PROTOCOL.md, "Replayed replies"). */
  static final int MAX_KEY_CHARS = 200;

  /** How long a server keeps a call's reply. */
  final long retentionMillis;
  /** The index of the {@code @CallKey} parameter, or -1: every call gets a fresh random key. */
  final int callKeyParameter;

  private Deduplication(long retentionMillis, int callKeyParameter) {
    this.retentionMillis = retentionMillis;
    this.callKeyParameter = callKeyParameter;
  }

  /**
   * The method's settings, or null if it is not {@code @Deduplicated} (on itself or its interface).
   *
   * @throws IllegalArgumentException for a streaming or one-way method, a retention not longer than
   *     its timeout, or a misplaced {@code @CallKey}
   */
  static Deduplication of(Method method, long timeoutNanos, boolean streaming) {
    Deduplicated annotation = method.isAnnotationPresent(Deduplicated.class) ? method.getAnnotation(Deduplicated.class)
        : method.getDeclaringClass().getAnnotation(Deduplicated.class);
    int keyParameter = callKeyParameter(method);
    if (annotation == null) {
      if (keyParameter >= 0) {
        throw TypeChecker.methodError(method, "@CallKey is only for @Deduplicated methods");
      }
      return null;
    }
    if (streaming || method.isAnnotationPresent(OneWay.class)) {
      throw TypeChecker.methodError(method, "@Deduplicated is not for " + (streaming ? "streaming" : "@OneWay")
          + " methods: only a call with one reply can be replayed");
    }
    long retentionMillis = annotation.unit().toMillis(annotation.retention());
    if (retentionMillis <= TimeUnit.NANOSECONDS.toMillis(timeoutNanos)) {
      throw TypeChecker.methodError(method, "@Deduplicated retention of " + retentionMillis
          + " ms must be longer than the method's timeout (" + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
          + " ms): a retry may come until the deadline");
    }
    return new Deduplication(retentionMillis, keyParameter);
  }

  private static int callKeyParameter(Method method) {
    int found = -1;
    Parameter[] parameters = method.getParameters();
    for (int i = 0; i < parameters.length; i++) {
      if (!parameters[i].isAnnotationPresent(CallKey.class)) {
        continue;
      }
      if (found >= 0) {
        throw TypeChecker.methodError(method, "@CallKey on parameters #" + (found + 1) + " and #" + (i + 1)
            + "; a call has one key");
      }
      if (!Sharding.isKeyType(parameters[i].getType())) {
        throw TypeChecker.methodError(method, "@CallKey parameter #" + (i + 1) + " (" + parameters[i].getName()
            + ") is a " + parameters[i].getParameterizedType().getTypeName()
            + "; a call key is a String, an integral number, a UUID or an enum");
      }
      found = i;
    }
    return found;
  }

  /**
   * The key of one call, which all its attempts carry: the {@code @CallKey} argument's text, or a fresh UUID.
   *
   * @throws RpcException {@code INVALID_ARGUMENT} for a null, empty or too long key
   */
  String keyFor(String methodKey, Object[] args) {
    if (callKeyParameter < 0) {
      return UUID.randomUUID().toString();
    }
    Object value = args[callKeyParameter];
    String key = value == null ? null : Sharding.canonical(value);
    return checked(methodKey, key);
  }

  /**
   * {@code key} if it may be a call key.
   *
   * @throws RpcException {@code INVALID_ARGUMENT} for a null, empty or too long key
   */
  static String checked(String what, String key) {
    if (key == null || key.isEmpty()) {
      throw new RpcException(Code.INVALID_ARGUMENT, what + ": the call key is null or empty");
    }
    if (key.length() > MAX_KEY_CHARS) {
      throw new RpcException(Code.INVALID_ARGUMENT, what + ": the call key has " + key.length()
          + " characters, more than " + MAX_KEY_CHARS);
    }
    return key;
  }
}
