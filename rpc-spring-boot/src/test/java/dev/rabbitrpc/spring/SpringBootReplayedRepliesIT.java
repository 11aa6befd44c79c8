package dev.rabbitrpc.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.runtime.JdbcReplyStore;
import dev.rabbitrpc.runtime.ReplyStore;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.RpcServer;
import dev.rabbitrpc.spring.TestServices.Ledger;
import dev.rabbitrpc.spring.TestServices.LedgerServer;
import dev.rabbitrpc.spring.TestServices.LedgerWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;

/**
 * Replayed replies in a Spring Boot application, end to end: a {@code @Deduplicated} service exported
 * from the context, its JDBC reply store made by the auto-configuration on the application's
 * {@code DataSource} (the machine's PostgreSQL), on the real RabbitMQ. Its handlers write with
 * {@code JdbcTemplate} and through a {@code @Transactional} method; those writes commit with the
 * reply, once per call key, or roll back with a run that fails. Skipped with the reason when
 * PostgreSQL is not running here; in CI ({@code CI=true}) that fails.
 */
@org.junit.jupiter.api.Timeout(value = 2, unit = java.util.concurrent.TimeUnit.MINUTES)
class SpringBootReplayedRepliesIT {
  private static final String SUFFIX = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  private static final String QUEUE = "spring-test-ledger-" + SUFFIX;
  private static final String CREDITS = "spring_credits_" + SUFFIX;
  private static final String REPLIES = "spring_replies_" + SUFFIX;

  private static DataSource dataSource;
  private static ConfigurableApplicationContext context;
  private static Ledger ledger;
  private static LedgerServer server;
  private static RpcServer exported;

  @BeforeAll
  static void startTheApplication() {
    dataSource = postgresql();
    new JdbcTemplate(dataSource).execute("CREATE TABLE " + CREDITS
        + " (call_key VARCHAR(200) NOT NULL, account VARCHAR(64) NOT NULL, amount INT NOT NULL)");
    context = new SpringApplicationBuilder(LedgerApplication.class).web(WebApplicationType.NONE)
        .properties(
            "spring.rabbitmq.host=" + RabbitMqBroker.HOST,
            "spring.rabbitmq.port=" + RabbitMqBroker.PORT,
            "rabbit-rpc.queues.spring-test-ledger=" + QUEUE,
            "rabbit-rpc.reply-store.table=" + REPLIES,
            "rabbit-rpc.timeout=10s")
        .run();
    ledger = context.getBean(RpcClient.class).proxy(Ledger.class, QUEUE);
    server = context.getBean(LedgerServer.class);
    exported = context.getBean(RpcExporter.class).servers().get(0);
  }

  @AfterAll
  static void stopTheApplicationAndDropItsTables() throws Exception {
    if (context != null) {
      context.close();
      SpringBootContract.deleteQueues(RabbitMqBroker.HOST, RabbitMqBroker.PORT, QUEUE);
    }
    if (dataSource != null) {
      // Bounded: a transaction a failed test left open makes the drop fail, not wait for ever.
      try (Connection connection = dataSource.getConnection(); java.sql.Statement drop = connection.createStatement()) {
        drop.execute("SET lock_timeout = '10s'");
        drop.execute("DROP TABLE IF EXISTS " + CREDITS);
        drop.execute("DROP TABLE IF EXISTS " + REPLIES);
      }
    }
  }

  @Test
  void theStoreIsAJdbcReplyStoreOnTheApplicationsDataSourceWithTheConfiguredTable() {
    ReplyStore store = context.getBean(ReplyStore.class);
    assertInstanceOf(JdbcReplyStore.class, store);
    assertEquals("JdbcReplyStore[" + REPLIES + "]", store.toString());
  }

  @Test
  void aRepeatedCallWritingWithJdbcTemplateRunsOnceAndGetsTheReplayedReply() {
    String key = UUID.randomUUID().toString();
    long replayed = exported.stats().replayedReplies();
    int first = ledger.credit(key, "ada", 10);
    int second = ledger.credit(key, "ada", 10);
    assertEquals(first, second, "the second call gets the first run's reply");
    assertEquals(replayed + 1, exported.stats().replayedReplies());
    assertEquals(1, credits(key));
  }

  @Test
  void aRepeatedCallWritingThroughATransactionalMethodRunsOnceAndGetsTheReplayedReply() {
    String key = UUID.randomUUID().toString();
    long replayed = exported.stats().replayedReplies();
    int first = ledger.creditThroughService(key, "grace", 20);
    assertEquals(first, ledger.creditThroughService(key, "grace", 20));
    assertEquals(replayed + 1, exported.stats().replayedReplies());
    assertEquals(1, credits(key));
  }

  @Test
  void aRunThatFailsAfterWritingWithJdbcTemplateLeavesNoRowAndItsRetryRunsAgain() {
    String key = UUID.randomUUID().toString();
    server.failAfterWriting.set(1);
    assertThrows(RpcException.class, () -> ledger.credit(key, "lin", 30));
    assertEquals(0, credits(key), "the failed run's write rolled back with its claim");
    int runs = server.runs.get();
    assertEquals(runs + 1, ledger.credit(key, "lin", 30), "the retry runs the method again");
    assertEquals(1, credits(key));
  }

  @Test
  void aRunThatFailsAfterATransactionalMethodWroteLeavesNoRowBecauseTheMethodJoinedTheRunsTransaction() {
    String key = UUID.randomUUID().toString();
    server.failAfterWriting.set(1);
    // Had the @Transactional method begun a transaction of its own, its row would be committed by now.
    assertThrows(RpcException.class, () -> ledger.creditThroughService(key, "mae", 40));
    assertEquals(0, credits(key));
    int runs = server.runs.get();
    assertEquals(runs + 1, ledger.creditThroughService(key, "mae", 40));
    assertEquals(1, credits(key));
  }

  @Test
  void aRunWhoseTransactionalMethodMarkedItRollbackOnlyFailsInternalAndKeepsNothing() {
    String key = UUID.randomUUID().toString();
    RpcException thrown = assertThrows(RpcException.class, () -> ledger.creditSwallowingAFailure(key, "joan", 50));
    assertEquals(RpcException.Code.INTERNAL, thrown.code(), thrown.getMessage());
    assertEquals(0, credits(key), "as Spring's UnexpectedRollbackException: nothing commits");
  }

  @Test
  void aDeclaredUncheckedExceptionOutOfATransactionalMethodRollsBackAndFailsInternalInsteadOfBeingKept() {
    String key = UUID.randomUUID().toString();
    RpcException thrown = assertThrows(RpcException.class, () -> ledger.creditOverTheLimit(key, "kay", 60));
    assertEquals(RpcException.Code.INTERNAL, thrown.code(), thrown.getMessage());
    assertEquals(0, credits(key), "Spring rolled the transaction back; nothing of the run commits");
  }

  private static int credits(String key) {
    Integer count = new JdbcTemplate(dataSource).queryForObject("SELECT COUNT(*) FROM " + CREDITS + " WHERE call_key = ?",
        Integer.class, key);
    assertTrue(count != null);
    return count;
  }

  /** The machine's PostgreSQL, or the test class aborted with the reason (failed in CI). */
  private static DataSource postgresql() {
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setUrl("jdbc:postgresql://127.0.0.1:5432/test");
    source.setUser("postgres");
    try (Connection connection = source.getConnection()) {
      assertTrue(connection.isValid(5));
    } catch (SQLException e) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("PostgreSQL must run on this machine in CI: " + e, e);
      }
      Assumptions.abort("PostgreSQL is not running on 127.0.0.1:5432: " + e);
    }
    return source;
  }

  /** An application with a DataSource, Spring's transactions, and the ledger exported. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  @EnableTransactionManagement
  static class LedgerApplication {
    @Bean
    DataSource dataSource() {
      return dataSource;
    }

    @Bean
    JdbcTemplate jdbcTemplate(DataSource dataSource) {
      return new JdbcTemplate(dataSource);
    }

    @Bean
    DataSourceTransactionManager transactionManager(DataSource dataSource) {
      return new DataSourceTransactionManager(dataSource);
    }

    @Bean
    LedgerWriter ledgerWriter(JdbcTemplate jdbc) {
      return new LedgerWriter(jdbc, CREDITS);
    }

    @Bean
    LedgerServer ledgerServer(JdbcTemplate jdbc, LedgerWriter writer) {
      return new LedgerServer(jdbc, writer, CREDITS);
    }
  }
}
