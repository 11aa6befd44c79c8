package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcMethod;

/**
 * The describe request every exported service answers (docs/PROTOCOL.md, "Describing a service"),
 * as an interface the runtime parses like a service's ({@link ServiceDescriptor#parse(Class, Codec,
 * java.time.Duration, boolean)}): the client calls it through an ordinary proxy on the queue asked
 * about ({@link RpcClient#describe(String)}); the {@link Dispatcher} answers it without running user
 * code. No implementation exists. Not {@code @Idempotent}, so that a queue without a server fails
 * the call at once ({@code UNAVAILABLE}) instead of being retried until the deadline; the server
 * answers it whether or not it was redelivered.
 */
interface Describe {
  @RpcMethod(ServiceContract.DESCRIBE)
  ServiceContract describe();
}
