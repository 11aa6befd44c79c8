package dev.rabbitrpc.benchmarks;

/**
 * The echo as amqp-client's {@code JsonRpcServer} serves it: its proxies support blocking methods
 * only, so there is no asynchronous variant. The harness's implementation is stateless and thread-safe.
 */
public interface JsonRpcEcho {
  /** Returns its argument. */
  Payload echo(Payload payload);
}
