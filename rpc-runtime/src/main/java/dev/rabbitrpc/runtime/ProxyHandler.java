package dev.rabbitrpc.runtime;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;

/**
 * The invocation handler behind every proxy: {@code equals}, {@code hashCode}, {@code toString} and
 * {@code default} methods run locally; every other method is a remote call through its cached
 * {@link MethodDescriptor}.
 *
 * <p>Thread-safe: one proxy serves any number of threads.
 */
final class ProxyHandler implements InvocationHandler {
  private static final Object[] NO_ARGS = new Object[0];

  private final CallEngine engine;
  final ServiceDescriptor service;
  /** The first call's contract check, or null when the client does not verify contracts. */
  private final ContractCheck check;

  ProxyHandler(CallEngine engine, ServiceDescriptor service, ContractCheck check) {
    this.engine = engine;
    this.service = service;
    this.check = check;
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    MethodDescriptor descriptor = service.forMethod(method);
    if (descriptor != null) {
      if (check != null) {
        try {
          check.beforeCall();
        } catch (dev.rabbitrpc.api.RpcException broken) {
          if (descriptor.shape == CallShape.FUTURE || descriptor.shape == CallShape.ONE_WAY_FUTURE) {
            return java.util.concurrent.CompletableFuture.failedFuture(broken); // an async call never throws
          }
          throw broken;
        }
      }
      return engine.call(service, descriptor, args == null ? NO_ARGS : args);
    }
    if (method.isDefault()) {
      return InvocationHandler.invokeDefault(proxy, method, args);
    }
    switch (method.getName()) {
      case "equals":
        return args != null && args.length == 1 && proxy == args[0];
      case "hashCode":
        return System.identityHashCode(proxy);
      case "toString":
        return toString();
      default:
        throw new IllegalStateException("not a remote method: " + method);
    }
  }

  @Override
  public String toString() {
    return service.type.getSimpleName() + "[queue=" + service.queue + ", broker=" + engine.brokerDescription() + "]";
  }
}
