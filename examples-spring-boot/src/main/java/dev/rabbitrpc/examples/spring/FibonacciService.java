package dev.rabbitrpc.examples.spring;

import dev.rabbitrpc.api.RpcService;

/** The service of RabbitMQ's RPC tutorial. */
@RpcService(queue = "spring_rpc_queue")
public interface FibonacciService {
  /**
   * The n-th Fibonacci number.
   *
   * @param n between 0 and 46
   * @return fib(n)
   */
  int fib(int n);
}
