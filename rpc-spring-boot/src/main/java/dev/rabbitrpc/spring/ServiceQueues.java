package dev.rabbitrpc.spring;

import dev.rabbitrpc.api.RpcService;

/** Which queue a service is served and called on in this application: one rule for exports and proxies. */
final class ServiceQueues {
  private ServiceQueues() {}

  /**
   * The queue {@code rabbit-rpc.queues} renames the service's declared queue to, or null when it is
   * not renamed (the runtime then uses the declared one).
   */
  static String renamed(Class<?> service, RabbitRpcProperties properties) {
    RpcService annotation = service.getAnnotation(RpcService.class);
    String declared = annotation == null || annotation.queue().isEmpty() ? service.getName() : annotation.queue();
    return properties.getQueues().get(declared);
  }
}
