package dev.rabbitrpc.examples.spring;

import dev.rabbitrpc.spring.RpcExport;
import org.springframework.stereotype.Component;

/** Serves {@link FibonacciService}, printing each request as the tutorial's server does. */
@Component
@RpcExport
class FibonacciServer implements FibonacciService {
  @Override
  public int fib(int n) {
    System.out.println(" [.] fib(" + n + ")");
    if (n < 0 || n > 46) {
      throw new IllegalArgumentException("n must be between 0 and 46, got " + n);
    }
    int previous = 0;
    int current = n == 0 ? 0 : 1;
    for (int i = 2; i <= n; i++) {
      int next = previous + current;
      previous = current;
      current = next;
    }
    return current;
  }
}
