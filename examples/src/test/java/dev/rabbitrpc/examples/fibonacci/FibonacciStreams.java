package dev.rabbitrpc.examples.fibonacci;

import dev.rabbitrpc.api.RpcService;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * A streaming service both peers implement: the Python server's {@code fibs} (interop/python/rpc_json.py)
 * and, for the Python client, this Java implementation. The queue is each test's own.
 */
@RpcService(queue = "fibonacci-streams")
interface FibonacciStreams {
  /** fib(0) … fib(count − 1), in order; the Python server fails from fib(93) on, which no long holds. */
  Stream<Long> fibs(int count);

  /** 0, 1, 2, … until the caller gives up; for the cancel test. */
  Stream<Long> endless();

  /** 0 … items − 1, then an {@link IllegalStateException}. */
  Stream<Long> failsAfter(int items);

  /**
   * The Java implementation: counts what {@link #endless()} produced and sees its stream closed.
   * Thread-safe (a stream runs on one server worker; the test reads the counters).
   */
  final class Impl implements FibonacciStreams {
    final AtomicLong produced = new AtomicLong();
    final CountDownLatch closed = new CountDownLatch(1);

    @Override
    public Stream<Long> fibs(int count) {
      long[] pair = {0, 1};
      return LongStream.range(0, count).mapToObj(i -> {
        long current = pair[0];
        pair[0] = pair[1];
        pair[1] = current + pair[1];
        return current;
      });
    }

    @Override
    public Stream<Long> endless() {
      return Stream.iterate(0L, i -> i + 1).peek(i -> produced.incrementAndGet()).onClose(closed::countDown);
    }

    @Override
    public Stream<Long> failsAfter(int items) {
      return LongStream.rangeClosed(0, items).mapToObj(i -> {
        if (i == items) {
          throw new IllegalStateException("failed after " + items + " items");
        }
        return i;
      });
    }
  }
}
