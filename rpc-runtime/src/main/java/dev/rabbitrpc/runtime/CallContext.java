package dev.rabbitrpc.runtime;

/**
 * The deadline of the request a server thread is handling, so that calls made from inside a
 * handler — through any proxy of the process — inherit the caller's remaining budget (as gRPC's
 * {@code Context} does). Set by the {@link Dispatcher} around each invocation.
 */
final class CallContext {
  private static final ThreadLocal<long[]> DEADLINE = new ThreadLocal<>();

  private CallContext() {}

  /** Runs with {@code deadlineMillis} (absolute epoch ms, 0 for none) as the thread's inherited deadline. */
  static Object callWithDeadline(long deadlineMillis, ThrowingSupplier body) throws Exception {
    if (deadlineMillis == 0) {
      return body.get();
    }
    long[] previous = DEADLINE.get();
    DEADLINE.set(new long[] {deadlineMillis});
    try {
      return body.get();
    } finally {
      if (previous == null) {
        DEADLINE.remove();
      } else {
        DEADLINE.set(previous);
      }
    }
  }

  /** Nanoseconds left of the inherited deadline, or {@link Long#MAX_VALUE} outside a handler. */
  static long remainingNanos() {
    long[] deadline = DEADLINE.get();
    if (deadline == null) {
      return Long.MAX_VALUE;
    }
    return (deadline[0] - System.currentTimeMillis()) * 1_000_000L;
  }

  interface ThrowingSupplier {
    Object get() throws Exception;
  }
}
