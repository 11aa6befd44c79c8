package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link JdbcReplyStore} against the machine's real PostgreSQL (127.0.0.1:5432, database test) and
 * MariaDB (127.0.0.1:3306, database test): claim, replay, conflict, one transaction with the
 * handler's writes (rolled back with an abandoned claim or a dead server's connection, committed
 * with the reply), a duplicate waiting on the open transaction, a busy answer at the end of its
 * wait, expiry and purge. Skipped with the reason if a database is not running here; in CI
 * ({@code CI=true}) a missing database fails.
 */
class JdbcReplyStoreTest {
  private static final byte[] PRINT = {1, 2, 3, 4};
  private static final Duration DAY = Duration.ofDays(1);

  private final String table = "rpc_replies_t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  private final String effects = table + "_fx";
  private DataSource dataSource;
  private JdbcReplyStore store;

  static DataSource dataSource(String database) {
    DataSource source;
    if (database.equals("postgresql")) {
      org.postgresql.ds.PGSimpleDataSource pg = new org.postgresql.ds.PGSimpleDataSource();
      pg.setUrl("jdbc:postgresql://127.0.0.1:5432/test");
      pg.setUser("postgres");
      source = pg;
    } else {
      org.mariadb.jdbc.MariaDbDataSource maria = new org.mariadb.jdbc.MariaDbDataSource();
      try {
        maria.setUrl("jdbc:mariadb://127.0.0.1:3306/test?user=root");
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
      source = maria;
    }
    try (Connection connection = source.getConnection()) {
      assertTrue(connection.isValid(5));
    } catch (SQLException e) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(database + " must run on this machine in CI: " + e, e);
      }
      Assumptions.abort(database + " is not running here: " + e);
    }
    return source;
  }

  private void open(String database) throws SQLException {
    dataSource = dataSource(database);
    store = JdbcReplyStore.builder(dataSource).table(table).purgeEvery(Duration.ZERO).build();
    sql("CREATE TABLE " + effects + " (id INT PRIMARY KEY)");
  }

  @AfterEach
  void drop() throws SQLException {
    if (store != null) {
      store.close();
      sql("DROP TABLE IF EXISTS " + table);
      sql("DROP TABLE IF EXISTS " + effects);
    }
  }

  private void sql(String statement) throws SQLException {
    try (Connection connection = dataSource.getConnection(); Statement s = connection.createStatement()) {
      s.execute(statement);
    }
  }

  private int count(String from) throws SQLException {
    try (Connection connection = dataSource.getConnection(); Statement s = connection.createStatement();
        ResultSet rows = s.executeQuery("SELECT COUNT(*) FROM " + from)) {
      rows.next();
      return rows.getInt(1);
    }
  }

  /** Claims {@code key}, writes {@code id} into the effects table inside the run, and returns the run. */
  private ReplyStore.Run runWriting(String key, int id) throws Exception {
    ReplyStore.Run run = assertInstanceOf(ReplyStore.Run.class, store.claim("q", key, PRINT, DAY, Duration.ofSeconds(5)));
    run.around(() -> {
      try (Statement s = JdbcReplyStore.connection().createStatement()) {
        s.executeUpdate("INSERT INTO " + effects + " VALUES (" + id + ")");
        return null;
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    });
    return run;
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mariadb"})
  void aCompletedKeyIsReplayedWithItsBytesAndHeadersAndAnotherRequestConflicts(String database) throws Exception {
    open(database);
    ReplyStore.Run run = assertInstanceOf(ReplyStore.Run.class, store.claim("q", "k1", PRINT, DAY, Duration.ofSeconds(5)));
    byte[] body = {0, (byte) 0xff, 42, 7};
    run.complete(new StoredReply("OK", body, Map.of("served-by", "s1")));
    ReplyStore.Replay replay = assertInstanceOf(ReplyStore.Replay.class, store.claim("q", "k1", PRINT, DAY, Duration.ofSeconds(5)));
    assertArrayEquals(body, replay.reply().body());
    assertEquals("OK", replay.reply().status());
    assertEquals(Map.of("served-by", "s1"), replay.reply().headers());
    assertFalse(replay.waited());
    assertInstanceOf(ReplyStore.Conflict.class, store.claim("q", "k1", new byte[] {9}, DAY, Duration.ofSeconds(5)));
    assertInstanceOf(ReplyStore.Run.class, store.claim("other-queue", "k1", PRINT, DAY, Duration.ofSeconds(5)),
        "keys are per scope").abandon();
    assertThrows(IllegalStateException.class, JdbcReplyStore::connection, "outside a run");
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mariadb"})
  void theHandlersWritesCommitWithTheReplyAndRollBackWithTheClaim(String database) throws Exception {
    open(database);
    runWriting("k1", 1).abandon();
    assertEquals(0, count(effects), "abandoned: the handler's write rolled back");
    assertEquals(0, count(table), "and the claim with it");
    ReplyStore.Run again = runWriting("k1", 1);
    again.complete(new StoredReply("OK", new byte[] {1}, Map.of()));
    assertEquals(1, count(effects));
    assertInstanceOf(ReplyStore.Replay.class, store.claim("q", "k1", PRINT, DAY, Duration.ofSeconds(5)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mariadb"})
  void aServerThatDiesBeforeCommittingLeavesNothing(String database) throws Exception {
    open(database);
    // The dying server's run: its connection is cut without a commit, as when its process is killed.
    Connection[] held = new Connection[1];
    ReplyStore.Run dying = assertInstanceOf(ReplyStore.Run.class, store.claim("q", "k1", PRINT, DAY, Duration.ofSeconds(5)));
    dying.around(() -> {
      held[0] = JdbcReplyStore.connection();
      try (Statement s = held[0].createStatement()) {
        s.executeUpdate("INSERT INTO " + effects + " VALUES (1)");
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
      return null;
    });
    CompletableFuture<ReplyStore.Claim> retry = CompletableFuture.supplyAsync(() -> {
      try {
        return store.claim("q", "k1", PRINT, DAY, Duration.ofSeconds(20));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    held[0].abort(Runnable::run);
    ReplyStore.Run retried = assertInstanceOf(ReplyStore.Run.class, retry.get(30, TimeUnit.SECONDS),
        "the retry runs the call afresh");
    retried.abandon();
    assertEquals(0, count(effects));
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mariadb"})
  void aDuplicateWaitsForTheOpenRunAndGetsItsReply(String database) throws Exception {
    open(database);
    ReplyStore.Run first = runWriting("k1", 1);
    CompletableFuture<ReplyStore.Claim> duplicate = CompletableFuture.supplyAsync(() -> {
      try {
        return store.claim("q", "k1", PRINT, DAY, Duration.ofSeconds(20));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    awaitBlockedOnTheRow(database);
    first.complete(new StoredReply("OK", new byte[] {5}, Map.of()));
    ReplyStore.Replay replay = assertInstanceOf(ReplyStore.Replay.class, duplicate.get(30, TimeUnit.SECONDS));
    assertTrue(replay.waited());
    assertArrayEquals(new byte[] {5}, replay.reply().body());
    assertEquals(1, count(effects));
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mariadb"})
  void aDuplicateWhoseWaitEndsIsBusyAndTheKeyIsFreeOnceTheRunIsAbandoned(String database) throws Exception {
    open(database);
    ReplyStore.Run first = runWriting("k1", 1);
    long started = System.nanoTime();
    assertInstanceOf(ReplyStore.Busy.class, store.claim("q", "k1", PRINT, DAY, Duration.ofMillis(500)));
    long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertTrue(waitedMillis < 15_000, "bounded by its wait (whole seconds on the database): " + waitedMillis + " ms");
    first.abandon();
    assertInstanceOf(ReplyStore.Run.class, store.claim("q", "k1", PRINT, DAY, Duration.ofSeconds(5))).abandon();
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mariadb"})
  void anExpiredKeyIsNewAgainAndThePurgeDeletesIt(String database) throws Exception {
    open(database);
    assertInstanceOf(ReplyStore.Run.class, store.claim("q", "old", PRINT, Duration.ofMillis(1), Duration.ofSeconds(5)))
        .complete(new StoredReply("OK", new byte[] {1}, Map.of()));
    assertInstanceOf(ReplyStore.Run.class, store.claim("q", "kept", PRINT, DAY, Duration.ofSeconds(5)))
        .complete(new StoredReply("OK", new byte[] {2}, Map.of()));
    long expiresBy = System.currentTimeMillis() + 2;
    while (System.currentTimeMillis() <= expiresBy) {
      Thread.onSpinWait(); // the row's expires_at is wall-clock milliseconds
    }
    assertEquals(1, store.purgeExpired());
    assertEquals(1, count(table));
    assertInstanceOf(ReplyStore.Run.class, store.claim("q", "old", PRINT, DAY, Duration.ofSeconds(5)),
        "its retention passed: the key is new").abandon();
    assertInstanceOf(ReplyStore.Replay.class, store.claim("q", "kept", PRINT, DAY, Duration.ofSeconds(5)));
  }

  /** Waits (bounded) until a session of this test's database waits for a row lock. */
  private void awaitBlockedOnTheRow(String database) throws Exception {
    String query = database.equals("postgresql")
        ? "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO " + table + "%'"
        : "SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'";
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() - until < 0) {
      try (Connection connection = dataSource.getConnection(); Statement s = connection.createStatement();
          ResultSet rows = s.executeQuery(query)) {
        rows.next();
        if (rows.getInt(1) > 0) {
          return;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no session waited for the row's lock within 15 s");
  }
}
