package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.Idempotent;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** The fault suite's service: a non-idempotent method whose executions are counted, a slow one, an idempotent one. */
interface Ledger {
  /** Not idempotent: each execution is recorded under its call id. Returns amount + 1. */
  long add(String callId, long amount);

  /** Not idempotent and slow-ish: sleeps, then as {@link #add}. */
  long slowAdd(String callId, long amount, long millis);

  @Idempotent
  String echo(String value);

  /** Counts executions per call id; a count above 1 is a double execution. */
  final class Impl implements Ledger {
    final Map<String, AtomicInteger> executions;
    private final Consumer<String> onExecute;
    /** Told of each {@code slowAdd} as it begins, before its sleep. */
    private final Consumer<String> onBegin;

    Impl(Map<String, AtomicInteger> executions, Consumer<String> onExecute) {
      this(executions, onExecute, id -> { });
    }

    Impl(Map<String, AtomicInteger> executions, Consumer<String> onExecute, Consumer<String> onBegin) {
      this.executions = executions;
      this.onExecute = onExecute;
      this.onBegin = onBegin;
    }

    Impl() {
      this(new ConcurrentHashMap<>(), id -> { });
    }

    @Override public long add(String callId, long amount) {
      executions.computeIfAbsent(callId, id -> new AtomicInteger()).incrementAndGet();
      onExecute.accept(callId);
      return amount + 1;
    }

    @Override public long slowAdd(String callId, long amount, long millis) {
      onBegin.accept(callId);
      try {
        Thread.sleep(millis); // the work itself: a slow handler, not a test waiting
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return add(callId, amount);
    }

    @Override public String echo(String value) {
      return value;
    }
  }
}
