package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.lang.reflect.Method;
import java.util.List;

/**
 * Everything about one service method that a call needs, parsed once when a proxy is created or
 * a service exported: no reflection or type resolution happens per call.
 *
 * <p>Immutable and thread-safe.
 */
final class MethodDescriptor {
  final Method method;
  /** Name on the wire, unique within the service. */
  final String wireName;
  /** {@code Service.method}, used in every message about this method. */
  final String key;
  final JavaType[] parameterTypes;
  final ObjectWriter[] argumentWriters;
  final ObjectReader[] argumentReaders;
  /** The value type of the reply: the return type, or {@code T} of {@code CompletableFuture<T>}. */
  final JavaType resultType;
  final ObjectWriter resultWriter;
  final ObjectReader resultReader;
  /** The method returns {@code CompletableFuture<T>}. */
  final boolean async;
  /** The reply carries no value ({@code void}, {@code Void}, {@code CompletableFuture<Void>}). */
  final boolean returnsVoid;
  /** This method's deadline, relative to the start of a call. */
  final long timeoutNanos;
  /** {@code @Idempotent}: retried on UNAVAILABLE, run again when redelivered. */
  final boolean idempotent;
  /** Checked and unchecked exception types declared in {@code throws}, rethrown by type. */
  final List<Class<? extends Throwable>> declaredExceptions;
  /** Calls are sent in plain text ({@code @RpcService(plainText = true)}), see {@link PlainText}. */
  final boolean plainText;
  /** {@code @OneWay}: sent without reply_to; nothing is answered. */
  final boolean oneWay;
  /** The index of the {@code @ShardKey} parameter, or -1: calls of a sharded service then go round-robin. */
  final int shardKey;
  /** How the caller gets the outcome, decided here once (never per call). */
  final CallShape shape;
  /**
   * A streaming method ({@link CallShape#streaming}): the longest the stream may go without progress
   * ({@code @Timeout(idle)}, else the whole {@link #timeoutNanos}); 0 for other methods. Its
   * {@link #resultType} is the type of one item.
   */
  final long idleNanos;
  /** {@code @Deduplicated}: its settings ({@link Deduplication}); null for other methods. */
  final Deduplication deduplication;

  /** {@code key} names it in messages: {@code Service.method} ({@link TypeChecker#key}), a dynamic call's ({@link JsonCall}) wire name. */
  MethodDescriptor(
      Method method,
      String key,
      String wireName,
      JavaType[] parameterTypes,
      ObjectWriter[] argumentWriters,
      ObjectReader[] argumentReaders,
      JavaType resultType,
      ObjectWriter resultWriter,
      ObjectReader resultReader,
      boolean async,
      boolean returnsVoid,
      long timeoutNanos,
      boolean idempotent,
      List<Class<? extends Throwable>> declaredExceptions,
      boolean plainText,
      boolean oneWay,
      int shardKey,
      CallShape streamShape,
      long idleNanos,
      Deduplication deduplication) {
    this.method = method;
    this.wireName = wireName;
    this.key = key;
    this.parameterTypes = parameterTypes;
    this.argumentWriters = argumentWriters;
    this.argumentReaders = argumentReaders;
    this.resultType = resultType;
    this.resultWriter = resultWriter;
    this.resultReader = resultReader;
    this.async = async;
    this.returnsVoid = returnsVoid;
    this.timeoutNanos = timeoutNanos;
    this.idempotent = idempotent;
    this.declaredExceptions = declaredExceptions;
    this.plainText = plainText;
    this.oneWay = oneWay;
    this.shardKey = shardKey;
    this.shape = streamShape != null ? streamShape : CallShape.of(async, oneWay);
    this.idleNanos = streamShape != null ? idleNanos : 0;
    this.deduplication = deduplication;
  }

  /**
   * Whether a failed call may be tried again after {@code UNAVAILABLE}: {@code @Idempotent}, or
   * {@code @Deduplicated} (its server never runs one call twice).
   */
  boolean retried() {
    return idempotent || deduplication != null;
  }

  int arity() {
    return parameterTypes.length;
  }

  @Override
  public String toString() {
    return key + " (wire name \"" + wireName + "\")";
  }
}
