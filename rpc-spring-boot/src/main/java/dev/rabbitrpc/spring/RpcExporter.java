package dev.rabbitrpc.spring;

import dev.rabbitrpc.api.Deduplicated;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.runtime.ReplyStore;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import dev.rabbitrpc.runtime.ServerBuilder;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.util.ClassUtils;

/**
 * Exports the {@link RpcExport} beans when the context starts and closes their servers when it
 * stops, all at once, each draining within the shutdown grace. Start and stop are called by
 * Spring's lifecycle processor, one at a time; {@link #servers()} may be read from any thread.
 *
 * <p>A service with a {@code @Deduplicated} method is exported with the context's {@link ReplyStore}
 * (the application's bean, or {@link RabbitRpcReplyStoreAutoConfiguration}'s), asked for only then,
 * so that an application without such a service never makes one; without a store its export fails
 * with the runtime's message naming the method.
 */
final class RpcExporter implements SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(RpcExporter.class);
  /** Beyond the grace, for closing channels once the requests are done. */
  private static final Duration CLOSE_MARGIN = Duration.ofSeconds(5);

  private final RpcClient client;
  private final ListableBeanFactory beanFactory;
  private final RabbitRpcProperties properties;
  private final List<ExportListener> listeners;
  private final Supplier<ReplyStore> replyStore;
  private volatile List<RpcServer> servers = List.of();
  private volatile boolean running;

  RpcExporter(RpcClient client, ListableBeanFactory beanFactory, RabbitRpcProperties properties) {
    this(client, beanFactory, properties, List.of(), () -> null);
  }

  /** @param replyStore the context's reply store, or null if it has none; asked for at most once per export */
  RpcExporter(RpcClient client, ListableBeanFactory beanFactory, RabbitRpcProperties properties,
      List<ExportListener> listeners, Supplier<ReplyStore> replyStore) {
    this.client = client;
    this.beanFactory = beanFactory;
    this.properties = properties;
    this.listeners = List.copyOf(listeners);
    this.replyStore = replyStore;
  }

  /** The servers running now, in the order they were exported. */
  List<RpcServer> servers() {
    return servers;
  }

  @Override
  public void start() {
    List<RpcServer> started = new ArrayList<>();
    try {
      for (String name : beanFactory.getBeanNamesForAnnotation(RpcExport.class)) {
        Object bean = beanFactory.getBean(name);
        RpcExport annotation = beanFactory.findAnnotationOnBean(name, RpcExport.class);
        Class<?> service = serviceOf(name, AopUtils.getTargetClass(bean), annotation);
        RpcServer server = export(service, bean, ServiceQueues.renamed(service, properties),
            ServiceQueues.shards(service, properties));
        started.add(server);
        log.debug("exported bean {} as {}", name, service.getName());
        for (ExportListener listener : listeners) {
          listener.exported(server);
        }
      }
    } catch (RuntimeException e) {
      closeAll(started);
      throw e;
    }
    servers = List.copyOf(started);
    running = true;
  }

  /** @param shards the shards to serve ({@code rabbit-rpc.shards}), or null for every shard */
  private <T> RpcServer export(Class<T> service, Object bean, String queue, int[] shards) {
    ServerBuilder<T> server = client.server(service, service.cast(bean));
    if (queue != null) {
      server.queue(queue);
    }
    if (shards != null) {
      server.shards(shards);
    }
    if (deduplicates(service)) {
      ReplyStore store = replyStore.get();
      if (store != null) {
        server.replyStore(store);
      }
    }
    return server.export();
  }

  /** Whether a method of the service is {@code @Deduplicated}, on itself or on the interface that declares it. */
  static boolean deduplicates(Class<?> service) {
    for (Method method : service.getMethods()) {
      if (method.isAnnotationPresent(Deduplicated.class) || method.getDeclaringClass().isAnnotationPresent(Deduplicated.class)) {
        return true;
      }
    }
    return false;
  }

  static Class<?> serviceOf(String beanName, Class<?> beanClass, RpcExport annotation) {
    if (annotation != null && annotation.value().length > 0) {
      if (annotation.value().length > 1) {
        throw new IllegalStateException("@RpcExport on bean '" + beanName + "' names " + annotation.value().length
            + " interfaces; export one per bean");
      }
      Class<?> named = annotation.value()[0];
      if (!named.isInterface() || !named.isAssignableFrom(beanClass)) {
        throw new IllegalStateException("@RpcExport on bean '" + beanName + "': " + beanClass.getName()
            + " does not implement the interface " + named.getName());
      }
      return named;
    }
    List<Class<?>> candidates = new ArrayList<>();
    for (Class<?> type : ClassUtils.getAllInterfacesForClassAsSet(beanClass)) {
      if (type.isAnnotationPresent(RpcService.class)) {
        candidates.add(type);
      }
    }
    if (candidates.size() != 1) {
      throw new IllegalStateException("@RpcExport on bean '" + beanName + "': " + beanClass.getName()
          + (candidates.isEmpty() ? " implements no @RpcService interface"
              : " implements several @RpcService interfaces " + candidates + "; name one in @RpcExport(...)"));
    }
    return candidates.get(0);
  }

  @Override
  public void stop() {
    running = false;
    List<RpcServer> closing = servers;
    servers = List.of();
    closeAll(closing);
  }

  /** Closes the servers together, so that they drain at once within one grace, not one after another. */
  private void closeAll(List<RpcServer> closing) {
    if (closing.isEmpty()) {
      return;
    }
    List<CompletableFuture<Void>> closed = new ArrayList<>();
    for (RpcServer server : closing) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      Thread closer = new Thread(() -> {
        try {
          server.close();
          done.complete(null);
        } catch (RuntimeException e) {
          done.completeExceptionally(e);
        }
      }, "rabbit-rpc-close-" + server.queue());
      closer.setDaemon(true);
      closer.start();
      closed.add(done);
    }
    long waitMillis = properties.getShutdownGrace().plus(CLOSE_MARGIN).toMillis();
    try {
      CompletableFuture.allOf(closed.toArray(new CompletableFuture<?>[0])).get(waitMillis, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      log.warn("closing an exported service failed", e.getCause());
    } catch (TimeoutException e) {
      log.warn("exported services did not close within {} ms", waitMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
