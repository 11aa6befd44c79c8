package dev.rabbitrpc.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rabbitrpc.runtime.InMemoryReplyStore;
import dev.rabbitrpc.runtime.JdbcReplyStore;
import dev.rabbitrpc.runtime.ReplyStore;
import dev.rabbitrpc.spring.TestServices.LedgerServer;
import java.io.IOException;
import java.net.ServerSocket;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.datasource.ConnectionHolder;

/**
 * The reply store's conditions and back-off, without a broker or a database: the data source points
 * at a closed port, so a store that connected would fail the context.
 */
class RabbitRpcReplyStoreAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(RabbitRpcAutoConfiguration.class, RabbitRpcReplyStoreAutoConfiguration.class));

  @Test
  void aDataSourceGivesALazyJdbcReplyStoreThatIsNotMadeUntilAServiceAsksForIt() throws IOException {
    runner.withBean(DataSource.class, RabbitRpcReplyStoreAutoConfigurationTest::unreachableDatabase).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context.getBeanNamesForType(JdbcReplyStore.class)).containsExactly("rabbitRpcReplyStore");
      assertThat(context.getBeanFactory().getBeanDefinition("rabbitRpcReplyStore").isLazyInit()).isTrue();
    });
  }

  @Test
  void noDataSourceGivesNoStore() {
    runner.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(ReplyStore.class));
  }

  @Test
  void typeNoneGivesNoStoreDespiteADataSource() {
    runner.withPropertyValues("rabbit-rpc.reply-store.type=none")
        .withBean(DataSource.class, RabbitRpcReplyStoreAutoConfigurationTest::unreachableDatabase)
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(ReplyStore.class));
  }

  @Test
  void withoutSpringJdbcADataSourceGivesNoStore() {
    runner.withClassLoader(new FilteredClassLoader(ConnectionHolder.class))
        .withBean(DataSource.class, RabbitRpcReplyStoreAutoConfigurationTest::unreachableDatabase)
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(ReplyStore.class));
  }

  @Test
  void typeMemoryGivesAnInMemoryStore() {
    runner.withPropertyValues("rabbit-rpc.reply-store.type=memory").run(context ->
        assertThat(context).getBean(ReplyStore.class).isInstanceOf(InMemoryReplyStore.class));
  }

  @Test
  void theApplicationsOwnStoreIsKept() {
    ReplyStore own = new InMemoryReplyStore();
    runner.withBean("ownStore", ReplyStore.class, () -> own)
        .withBean(DataSource.class, RabbitRpcReplyStoreAutoConfigurationTest::unreachableDatabase)
        .run(context -> assertThat(context).getBean(ReplyStore.class).isSameAs(own));
  }

  @Test
  void aDeduplicatedServiceWithoutAStoreFailsTheStartNamingTheMethod() {
    runner.withBean(LedgerServer.class, () -> new LedgerServer(null, null, "unused")).run(context ->
        assertThat(context).getFailure().rootCause()
            .hasMessageContaining("is @Deduplicated").hasMessageContaining("with a reply store"));
  }

  @Test
  void onlyServicesWithADeduplicatedMethodAskForTheStore() {
    assertThat(RpcExporter.deduplicates(TestServices.Ledger.class)).isTrue();
    assertThat(RpcExporter.deduplicates(TestServices.Greeter.class)).isFalse();
  }

  /** A PostgreSQL data source on a port nothing listens on. */
  private static DataSource unreachableDatabase() {
    PGSimpleDataSource source = new PGSimpleDataSource();
    try (ServerSocket socket = new ServerSocket(0)) {
      source.setUrl("jdbc:postgresql://127.0.0.1:" + socket.getLocalPort() + "/test");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    source.setConnectTimeout(2);
    return source;
  }
}
