package dev.rabbitrpc.runtime;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * What both sides know of a call: the service, the method and the arguments. A
 * {@link ClientInterceptor} sees a {@link ClientCall}, a {@link ServerInterceptor} a
 * {@link ServerCall}.
 *
 * <p>Immutable and thread-safe.
 */
public abstract sealed class RpcCall permits ClientCall, ServerCall {
  final ServiceDescriptor service;
  final MethodDescriptor method;
  final Object[] arguments;

  RpcCall(ServiceDescriptor service, MethodDescriptor method, Object[] arguments) {
    this.service = service;
    this.method = method;
    this.arguments = arguments;
  }

  /** The service interface. */
  public final Class<?> service() {
    return service.type;
  }

  /** The interface method called. */
  public final Method method() {
    return method.method;
  }

  /** The method's name on the wire ({@code @RpcMethod}, else its Java name). */
  public final String methodName() {
    return method.wireName;
  }

  /**
   * The request queue: the queue this request travels on. For a sharded service
   * ({@code @RpcService(shards = N)}) that is the call's shard queue ({@code orders.2}), chosen by
   * its {@code @ShardKey} or round-robin, on the client as on the server.
   */
  public final String queue() {
    return service.queue;
  }

  /** The arguments (a read-only list of the call's own objects). */
  public final List<Object> arguments() {
    return Collections.unmodifiableList(Arrays.asList(arguments));
  }
}
