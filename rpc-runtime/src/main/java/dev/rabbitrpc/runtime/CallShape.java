package dev.rabbitrpc.runtime;

/**
 * How a method's caller gets its outcome, decided once when the interface is parsed
 * ({@link MethodDescriptor#shape}), never per call (as Retrofit's {@code HttpServiceMethod}): the
 * pipeline under every shape is the same ({@link CallEngine}); the shape only says whether the
 * caller waits for it and whether a reply is expected.
 *
 * <p>Immutable.
 */
enum CallShape {
  /** Returns the result: the async pipeline plus a wait bounded by the call's deadline. */
  SYNC(false, false, false),
  /** Returns a {@code CompletableFuture} at once; every failure completes it. */
  FUTURE(true, false, false),
  /** {@code @OneWay void}: waits for the broker's confirm (or the write), bounded by the deadline. */
  ONE_WAY(false, true, false),
  /** {@code @OneWay CompletableFuture<Void>}: the confirm (or the write) completes it. */
  ONE_WAY_FUTURE(true, true, false),
  /**
   * {@code Stream<T>}: a streaming call (many items, then an end), started at once; the caller
   * blocks only when it reads an item that has not arrived ({@link ClientStream}).
   */
  STREAM(true, false, true),
  /** {@code Flow.Publisher<T>}: a streaming call started by each subscription, back-pressured by its requests. */
  PUBLISHER(true, false, true);

  /** The caller gets a future (or a stream) and never blocks on the call itself. */
  final boolean async;
  /** Sent without {@code reply_to}; nothing answers it. */
  final boolean oneWay;
  /** Answered by items, then an end marker (docs/PROTOCOL.md, "Streaming replies"). */
  final boolean streaming;

  CallShape(boolean async, boolean oneWay, boolean streaming) {
    this.async = async;
    this.oneWay = oneWay;
    this.streaming = streaming;
  }

  static CallShape of(boolean async, boolean oneWay) {
    return oneWay ? (async ? ONE_WAY_FUTURE : ONE_WAY) : (async ? FUTURE : SYNC);
  }
}
