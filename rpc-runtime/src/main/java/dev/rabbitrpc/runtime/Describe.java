package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.Idempotent;
import dev.rabbitrpc.api.RpcMethod;

/**
 * The describe request every exported service answers (docs/PROTOCOL.md, "Describing a service"),
 * as an interface the runtime parses like a service's ({@link ServiceDescriptor#parse(Class, Codec,
 * java.time.Duration, boolean)}): the client calls it through an ordinary proxy on the queue asked
 * about ({@link RpcClient#describe(String)}); the {@link Dispatcher} answers it without running user
 * code. No implementation exists.
 */
interface Describe {
  @RpcMethod(ServiceContract.DESCRIBE)
  @Idempotent
  ServiceContract describe();
}
