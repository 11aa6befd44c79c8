package dev.rabbitrpc.examples.fibonacci;

import dev.rabbitrpc.api.RpcService;

/** The service of RabbitMQ's RPC tutorial, on the tutorial's queue. */
@RpcService(queue = "rpc_queue")
public interface FibonacciService {
  /**
   * The n-th Fibonacci number, computed the tutorial's (slow, recursive) way.
   *
   * @throws IllegalArgumentException if {@code n} is negative or too large for an {@code int} result
   */
  int fib(int n);
}
