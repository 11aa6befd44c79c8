package dev.rabbitrpc.micrometer;

import dev.rabbitrpc.api.Idempotent;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.slf4j.MDC;

/** The service the tests call, its implementation, and the one bounded wait they share. */
interface Greeter {
  String greet(String name);

  /** Answers from another thread than the worker's. */
  CompletableFuture<String> greetLater(String name);

  /** Refuses every name with INVALID_ARGUMENT. */
  String refuse(String name);

  @Idempotent
  String lookup(String key);

  /** Sleeps {@code millis} on the worker, then answers. */
  String slow(long millis);

  /** The MDC the handler saw: correlation id | method | trace id. */
  String mdc();

  final class Impl implements Greeter {
    @Override public String greet(String name) {
      return "hello " + name;
    }

    @Override public CompletableFuture<String> greetLater(String name) {
      return CompletableFuture.supplyAsync(() -> "later " + name);
    }

    @Override public String refuse(String name) {
      throw new RpcException(Code.INVALID_ARGUMENT, "no greeting for " + name);
    }

    @Override public String lookup(String key) {
      return "value of " + key;
    }

    @Override public String slow(long millis) {
      try {
        Thread.sleep(millis); // the handler's work, not a test's wait
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "slept " + millis;
    }

    @Override public String mdc() {
      return MDC.get(MdcServerInterceptor.CORRELATION_ID) + "|" + MDC.get(MdcServerInterceptor.METHOD) + "|"
          + MDC.get(MdcServerInterceptor.TRACE_ID);
    }
  }

  /** Polls {@code condition} until it holds or {@code timeout} passes, then fails naming {@code what}. */
  static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      Thread.sleep(20);
    }
  }
}
