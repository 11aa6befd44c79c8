package dev.rabbitrpc.runtime;

/**
 * The deadline of the request a server thread is handling, so that calls made from inside a
 * handler — through any proxy of the process — inherit the caller's remaining budget (as gRPC's
 * {@code Context} does). Set by the {@link Dispatcher} around each invocation.
 */
final class CallContext {
  private static final ThreadLocal<Deadline> DEADLINE = new ThreadLocal<>();

  private CallContext() {}

  /** Runs with {@code deadline} (null for none) as the thread's inherited deadline. */
  static Object callWithDeadline(Deadline deadline, ThrowingSupplier body) throws Exception {
    if (deadline == null) {
      return body.get();
    }
    Deadline previous = DEADLINE.get();
    DEADLINE.set(deadline);
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

  /** The deadline this thread inherited from the request it handles, or null outside a handler. */
  static Deadline inherited() {
    return DEADLINE.get();
  }

  interface ThrowingSupplier {
    Object get() throws Exception;
  }
}
