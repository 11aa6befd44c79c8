package dev.rabbitrpc.spring;

import dev.rabbitrpc.runtime.RpcClient;

/**
 * Customizes the auto-configured {@link RpcClient} before it is built: any option of
 * {@link RpcClient.Builder}, such as {@code remoteExceptions(...)}, {@code executor(...)},
 * {@code codec(...)} or {@code channels(...)}.
 *
 * <p>Customizer beans run in their {@code @Order} (or {@link org.springframework.core.Ordered})
 * order, after the {@code rabbit-rpc.*} properties and the connection from Spring Boot's RabbitMQ
 * settings are applied, so a customizer may override either. They run once, on the thread that
 * creates the client bean.
 */
@FunctionalInterface
public interface RpcClientBuilderCustomizer {
  /**
   * Customizes the builder.
   *
   * @param builder the builder of the application's client
   */
  void customize(RpcClient.Builder builder);
}
