package dev.rabbitrpc.examples.fibonacci;

import dev.rabbitrpc.api.CallKey;
import dev.rabbitrpc.api.Deduplicated;
import dev.rabbitrpc.api.RpcService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deduplicated service for the Python client (interop/python/rpc_json.py {@code call --call-key}):
 * the Java server keeps its replies, so a repeated call with the same key is answered with the first
 * one's reply (docs/PROTOCOL.md, "Replayed replies"). The queue is each test's own.
 */
@RpcService(queue = "fibonacci-ledger")
interface FibonacciLedger {
  /** Records fib(n) under {@code entry}, once per entry: the entry's line, with how many runs the ledger had then. */
  @Deduplicated
  String record(@CallKey String entry, int n);

  /** Counts its runs. Thread-safe (the server's workers run it; the test reads the count). */
  final class Impl implements FibonacciLedger {
    final AtomicInteger runs = new AtomicInteger();

    @Override
    public String record(String entry, int n) {
      return entry + ": fib(" + n + ") = " + new FibonacciServiceImpl().fib(n) + " (run " + runs.incrementAndGet() + ")";
    }
  }
}
