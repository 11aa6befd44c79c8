package dev.rabbitrpc.spring;

import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code rabbitRpc} health: UP while the client is connected and every exported service
 * consumes ({@link RpcServer.State#SERVING}); DOWN while the broker is unreachable, the connection
 * is being recovered, or a service is starting, recovering or closing; UNKNOWN while nothing is
 * exported or imported, so the client has never needed to connect. Details: the client
 * ({@code connected}, broker without credentials, imported interfaces) and each service's queue and
 * state. Thread-safe: it reads volatile state, no I/O.
 */
final class RabbitRpcHealthIndicator implements HealthIndicator {
  private final RpcClient client;
  private final RpcExporter exporter;
  private final List<String> imported;

  RabbitRpcHealthIndicator(RpcClient client, RpcExporter exporter, ConfigurableListableBeanFactory beanFactory) {
    this.client = client;
    this.exporter = exporter;
    this.imported = importedServices(beanFactory);
  }

  private static List<String> importedServices(ConfigurableListableBeanFactory beanFactory) {
    List<String> services = new ArrayList<>();
    for (String name : beanFactory.getBeanDefinitionNames()) {
      BeanDefinition definition = beanFactory.getBeanDefinition(name);
      Object service = definition.getAttribute(RpcClientsRegistrar.IMPORTED_SERVICE);
      if (service instanceof Class<?>) {
        services.add(((Class<?>) service).getName());
      }
    }
    return List.copyOf(services);
  }

  @Override
  public Health health() {
    boolean connected = client.isConnected();
    List<RpcServer> servers = exporter == null ? List.of() : exporter.servers();
    Map<String, Object> clientDetails = new LinkedHashMap<>();
    clientDetails.put("connected", connected);
    clientDetails.put("client", client.toString());
    clientDetails.put("imported", imported);
    Map<String, Object> services = new LinkedHashMap<>();
    boolean serving = true;
    for (RpcServer server : servers) {
      services.put(server.queue(), server.state().name());
      serving &= server.state() == RpcServer.State.SERVING;
    }
    Health.Builder health;
    if (servers.isEmpty() && imported.isEmpty() && !connected) {
      health = Health.unknown().withDetail("reason", "nothing exported or imported: the client has not connected");
    } else {
      health = connected && serving ? Health.up() : Health.down();
    }
    return health.withDetail("client", clientDetails).withDetail("services", services).build();
  }
}
