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
    return properties.getQueues().get(declared(service));
  }

  /** The shards {@code rabbit-rpc.shards} lists for the service, or null for every shard. */
  static int[] shards(Class<?> service, RabbitRpcProperties properties) {
    java.util.List<Integer> listed = properties.getShards().get(declared(service));
    return listed == null ? null : listed.stream().mapToInt(Integer::intValue).toArray();
  }

  private static String declared(Class<?> service) {
    RpcService annotation = service.getAnnotation(RpcService.class);
    return annotation == null || annotation.queue().isEmpty() ? service.getName() : annotation.queue();
  }
}
