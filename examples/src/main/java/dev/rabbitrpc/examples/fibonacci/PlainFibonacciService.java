package dev.rabbitrpc.examples.fibonacci;

import dev.rabbitrpc.api.RpcService;

/**
 * {@link FibonacciService} as the servers of RabbitMQ's RPC tutorial speak it: plain text on
 * {@code rpc_queue} — the number as the body, the result as the reply, no content type.
 */
@RpcService(queue = "rpc_queue", plainText = true)
public interface PlainFibonacciService {
  /** The n-th Fibonacci number. */
  int fib(int n);
}
