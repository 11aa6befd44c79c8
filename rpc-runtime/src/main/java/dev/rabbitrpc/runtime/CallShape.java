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
  SYNC(false, false),
  /** Returns a {@code CompletableFuture} at once; every failure completes it. */
  FUTURE(true, false),
  /** {@code @OneWay void}: waits for the broker's confirm (or the write), bounded by the deadline. */
  ONE_WAY(false, true),
  /** {@code @OneWay CompletableFuture<Void>}: the confirm (or the write) completes it. */
  ONE_WAY_FUTURE(true, true);

  /** The caller gets a future and never blocks. */
  final boolean async;
  /** Sent without {@code reply_to}; nothing answers it. */
  final boolean oneWay;

  CallShape(boolean async, boolean oneWay) {
    this.async = async;
    this.oneWay = oneWay;
  }

  static CallShape of(boolean async, boolean oneWay) {
    return oneWay ? (async ? ONE_WAY_FUTURE : ONE_WAY) : (async ? FUTURE : SYNC);
  }
}
