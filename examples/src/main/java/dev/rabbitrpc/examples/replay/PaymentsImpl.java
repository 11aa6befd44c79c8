package dev.rabbitrpc.examples.replay;

import java.util.concurrent.atomic.AtomicInteger;

/** Charges nothing real: numbers its receipts, so that a second run would show. Thread-safe. */
public final class PaymentsImpl implements Payments {
  private final AtomicInteger receipts = new AtomicInteger();

  @Override
  public String charge(String paymentId, String account, long cents) {
    return String.format("receipt %d: %d.%02d charged to %s", receipts.incrementAndGet(), cents / 100, cents % 100, account);
  }

  /** How many charges ran. */
  public int runs() {
    return receipts.get();
  }
}
