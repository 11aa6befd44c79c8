package dev.rabbitrpc.spring;

import dev.rabbitrpc.runtime.InMemoryReplyStore;
import dev.rabbitrpc.runtime.JdbcReplyStore;
import dev.rabbitrpc.runtime.ReplyStore;
import dev.rabbitrpc.runtime.RpcClient;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;

/**
 * The {@link ReplyStore} of exported services with {@code @Deduplicated} methods
 * (docs/guide/replayed-replies.md), when the application defines none:
 * <ul>
 *   <li>with one {@code DataSource} in the context and spring-jdbc on the class path, a
 *       {@link JdbcReplyStore} on it ({@code rabbit-rpc.reply-store.table}, {@code create-table},
 *       {@code purge-every}) whose runs are Spring transactions: {@code JdbcTemplate} and
 *       {@code @Transactional} methods in the handler write in the run's transaction, so their
 *       effects commit with the reply, exactly once ({@link SpringTransactionBinding});
 *   <li>with {@code rabbit-rpc.reply-store.type=memory}, an {@link InMemoryReplyStore} (one server
 *       process per queue);
 *   <li>with {@code type=none}, or neither, no store: exporting a service with a
 *       {@code @Deduplicated} method then fails the start-up, naming the method.
 * </ul>
 * The store is lazy: it is made (and its table created) when the first such service is exported,
 * never in an application without one; {@link RpcExporter} gives it to those services only. It
 * runs after Spring Boot's {@code DataSource} auto-configuration, named by class name because its
 * package moved between Boot lines.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration", // Boot 4
    "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration" // Boot 3
})
@ConditionalOnClass(RpcClient.class)
@EnableConfigurationProperties(RabbitRpcProperties.class)
public class RabbitRpcReplyStoreAutoConfiguration {
  /** For Spring. */
  public RabbitRpcReplyStoreAutoConfiguration() {}

  /** A JDBC store on the application's {@code DataSource}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {
      "org.springframework.jdbc.datasource.ConnectionHolder",
      "org.springframework.transaction.support.TransactionSynchronizationManager"
  })
  @ConditionalOnSingleCandidate(DataSource.class)
  @ConditionalOnProperty(prefix = "rabbit-rpc.reply-store", name = "type", havingValue = "jdbc", matchIfMissing = true)
  static class Jdbc {
    @Bean(destroyMethod = "close")
    @Lazy
    @ConditionalOnMissingBean(ReplyStore.class)
    JdbcReplyStore rabbitRpcReplyStore(DataSource dataSource, RabbitRpcProperties properties) throws SQLException {
      RabbitRpcProperties.ReplyStore settings = properties.getReplyStore();
      return JdbcReplyStore.builder(dataSource)
          .table(settings.getTable())
          .createTable(settings.isCreateTable())
          .purgeEvery(settings.getPurgeEvery())
          .connectionBinding(new SpringTransactionBinding(dataSource))
          .build();
    }
  }

  /** An in-memory store, when asked for. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(prefix = "rabbit-rpc.reply-store", name = "type", havingValue = "memory")
  static class Memory {
    @Bean(destroyMethod = "close")
    @Lazy
    @ConditionalOnMissingBean(ReplyStore.class)
    InMemoryReplyStore rabbitRpcReplyStore() {
      return new InMemoryReplyStore();
    }
  }
}
