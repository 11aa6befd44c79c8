package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** A bounded wait for a condition, for the unit tests (the integration tests have TestBroker.await). */
final class TestWait {
  private TestWait() {}

  static void until(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < end, "timed out after " + timeout.toMillis() + " ms waiting for " + what);
      Thread.sleep(5); // polling interval of a bounded wait, not a settle delay
    }
  }
}
