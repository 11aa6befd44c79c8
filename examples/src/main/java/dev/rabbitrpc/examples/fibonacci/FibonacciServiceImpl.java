package dev.rabbitrpc.examples.fibonacci;

/** The tutorial's recursive Fibonacci; prints each call as the tutorial's server does. */
public final class FibonacciServiceImpl implements FibonacciService {
  /** fib(46) is the largest Fibonacci number an int holds. */
  static final int MAX_N = 46;

  @Override
  public int fib(int n) {
    System.out.println(" [.] fib(" + n + ")");
    if (n < 0 || n > MAX_N) {
      throw new IllegalArgumentException("n must be between 0 and " + MAX_N + ", got " + n);
    }
    return compute(n);
  }

  static int compute(int n) {
    if (n < 2) {
      return n;
    }
    int previous = 0;
    int current = 1;
    for (int i = 2; i <= n; i++) {
      int next = previous + current;
      previous = current;
      current = next;
    }
    return current;
  }
}
