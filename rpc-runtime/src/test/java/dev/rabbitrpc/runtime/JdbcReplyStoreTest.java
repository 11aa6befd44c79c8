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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link JdbcReplyStore} against the machine's real PostgreSQL (127.0.0.1:5432, database test) and
 * MariaDB (127.0.0.1:3306, database test): claim, replay, conflict, one transaction with the
 * handler's writes (rolled back with an abandoned claim or a dead server's connection, committed
 * with the reply), a duplicate waiting on the open transaction, a busy answer at the end of its
 * wait, expiry and purge. Skipped with the reason if a database is not running here; in CI
 * ({@code CI=true}) a missing database fails.
 *
 * <p>A failing test must not hang the build: every run a test opens is abandoned after it, the
 * tables are dropped with a lock timeout, and each test is bounded.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class JdbcReplyStoreTest {
  private static final byte[] PRINT = {1, 2, 3, 4};
  private static final Duration DAY = Duration.ofDays(1);

  private final String table = "rpc_replies_t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  private final String effects = table + "_fx";
  private final List<ReplyStore.Run> runs = new ArrayList<>();
  private final ExecutorService duplicates = Executors.newCachedThreadPool(Threads.daemon("jdbc-store-test-duplicate"));
  private String database;
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
    this.database = database;
    dataSource = dataSource(database);
    store = JdbcReplyStore.builder(dataSource).table(table).purgeEvery(Duration.ZERO).build();
    sql("CREATE TABLE " + effects + " (id INT PRIMARY KEY)");
  }

  @AfterEach
  void drop() throws SQLException {
    duplicates.shutdownNow();
    runs.forEach(ReplyStore.Run::abandon); // a failed test's open run would hold the tables' locks
    if (store != null) {
      store.close();
      // Bounded: a session the test lost track of makes the drop fail, not wait for ever.
      String lockTimeout = database.equals("postgresql") ? "SET lock_timeout = '10s'" : "SET SESSION lock_wait_timeout = 10";
      try (Connection connection = dataSource.getConnection(); Statement s = connection.createStatement()) {
        s.execute(lockTimeout);
        s.execute("DROP TABLE IF EXISTS " + table);
        s.execute("DROP TABLE IF EXISTS " + effects);
      }
    }
  }

  /** Claims {@code key}, expecting a run, which is abandoned after the test if it has not ended. */
  private ReplyStore.Run claimRun(String key, Duration wait) throws Exception {
    ReplyStore.Run run = assertInstanceOf(ReplyStore.Run.class, store.claim("q", key, PRINT, DAY, wait));
    runs.add(run);
    return run;
  }

  /** Claims {@code key} on another thread, as a duplicate request on another server would. */
  private CompletableFuture<ReplyStore.Claim> claimElsewhere(String key, Duration wait) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        ReplyStore.Claim claim = store.claim("q", key, PRINT, DAY, wait);
        if (claim instanceof ReplyStore.Run run) {
          runs.add(run);
        }
        return claim;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, duplicates);
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
    ReplyStore.Run run = claimRun(key, Duration.ofSeconds(5));
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
    ReplyStore.Run run = claimRun("k1", Duration.ofSeconds(5));
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
    // The dying server's run: the database ends its session without a commit, as it does when the
    // server's process is killed (its socket closes). The session is ended from the database's side:
    // a driver's Connection.abort() may not end it (MariaDB Connector/J 3.5 left it open, holding the row).
    long[] session = new long[1];
    ReplyStore.Run dying = claimRun("k1", Duration.ofSeconds(5));
    dying.around(() -> {
      try (Statement s = JdbcReplyStore.connection().createStatement()) {
        s.executeUpdate("INSERT INTO " + effects + " VALUES (1)");
        try (ResultSet id = s.executeQuery(database.equals("postgresql") ? "SELECT pg_backend_pid()" : "SELECT CONNECTION_ID()")) {
          id.next();
          session[0] = id.getLong(1);
        }
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
      return null;
    });
    CompletableFuture<ReplyStore.Claim> retry = claimElsewhere("k1", Duration.ofSeconds(20));
    sql(database.equals("postgresql") ? "SELECT pg_terminate_backend(" + session[0] + ")" : "KILL " + session[0]);
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
    CompletableFuture<ReplyStore.Claim> duplicate = claimElsewhere("k1", Duration.ofSeconds(20));
    awaitBlockedOnTheRow(database, duplicate);
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

  /**
   * Waits (bounded) until {@code duplicate}'s claim is inserting its row, which the open run holds:
   * past its read of committed rows, so it can only end by waiting for that run. On PostgreSQL the
   * session shows a lock wait; MariaDB 10.11 does not list it in {@code innodb_trx}, so there it is
   * the statement running in the process list.
   */
  private void awaitBlockedOnTheRow(String database, CompletableFuture<ReplyStore.Claim> duplicate) throws Exception {
    String query = database.equals("postgresql")
        ? "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO " + table + "%'"
        : "SELECT COUNT(*) FROM information_schema.processlist WHERE id <> CONNECTION_ID() AND info LIKE '%INSERT INTO " + table + " %'";
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() - until < 0) {
      try (Connection connection = dataSource.getConnection(); Statement s = connection.createStatement();
          ResultSet rows = s.executeQuery(query)) {
        rows.next();
        if (rows.getInt(1) > 0) {
          return;
        }
      }
      if (duplicate.isDone()) {
        throw new AssertionError("the duplicate did not wait for the open run: " + duplicate.handle((c, e) -> c != null ? c : e).join());
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no session waited for the row's lock within 15 s");
  }
}
