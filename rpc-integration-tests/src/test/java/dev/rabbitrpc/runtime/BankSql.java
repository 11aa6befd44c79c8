package dev.rabbitrpc.runtime;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;

/**
 * The transfer drill's tables in PostgreSQL and the checks made on them ({@link ReplayDrillIT}).
 * Every table name starts with the run's prefix, so runs never share a table:
 * <ul>
 *   <li>{@code <prefix>_accounts (id, balance)}: every transfer moves money between two of them, so
 *       the sum of the balances never changes;
 *   <li>{@code <prefix>_transfers (transfer_id, run_id, ...)}: one row per applied transfer. The id
 *       is deliberately <b>not</b> unique, in both variants: a transfer applied twice shows as two
 *       rows instead of failing on a constraint, so the drill counts doubles from the database
 *       rather than letting a constraint hide them;
 *   <li>{@code <prefix>_holds (transfer_id)}: the drill's markers — a transfer stops for its JVM to be
 *       killed only the first time it runs anywhere (committed on their own, outside the transfer).
 * </ul>
 */
final class BankSql {
  private BankSql() {}

  /**
   * The machine's PostgreSQL (127.0.0.1:5432, database test, user postgres). The test is skipped
   * with the reason if it is not running; in CI ({@code CI=true}) a missing PostgreSQL fails.
   */
  static DataSource dataSource() {
    DataSource source = pg();
    try (Connection connection = source.getConnection()) {
      if (!connection.isValid(5)) {
        throw new SQLException("connection not valid");
      }
    } catch (SQLException e) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("PostgreSQL must run on this machine in CI (127.0.0.1:5432, database test): " + e, e);
      }
      Assumptions.abort("PostgreSQL is not running here (127.0.0.1:5432, database test): " + e);
    }
    return source;
  }

  static DataSource pg() {
    org.postgresql.ds.PGSimpleDataSource pg = new org.postgresql.ds.PGSimpleDataSource();
    pg.setUrl("jdbc:postgresql://127.0.0.1:5432/test");
    pg.setUser("postgres");
    pg.setConnectTimeout(10);
    return pg;
  }

  static void create(DataSource dataSource, String prefix, int accounts, long initialBalance) throws SQLException {
    try (Connection connection = dataSource.getConnection(); Statement s = connection.createStatement()) {
      s.execute("CREATE TABLE " + prefix + "_accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL)");
      s.execute("CREATE TABLE " + prefix + "_transfers (transfer_id VARCHAR(200) NOT NULL, run_id VARCHAR(64) NOT NULL,"
          + " from_account INT NOT NULL, to_account INT NOT NULL, cents BIGINT NOT NULL)");
      s.execute("CREATE TABLE " + prefix + "_holds (transfer_id VARCHAR(200) PRIMARY KEY)");
      try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + prefix + "_accounts VALUES (?, ?)")) {
        for (int id = 0; id < accounts; id++) {
          insert.setInt(1, id);
          insert.setLong(2, initialBalance);
          insert.addBatch();
        }
        insert.executeBatch();
      }
    }
  }

  /**
   * One transfer on {@code tx} (not committed here): locks both accounts in id order (no deadlock
   * between opposite transfers), refuses before any write if {@code from} has too little, moves
   * the money and records the transfer.
   */
  static void apply(Connection tx, String prefix, String transferId, int from, int to, long cents, String runId)
      throws SQLException, Bank.InsufficientFunds {
    long fromBalance = -1;
    try (PreparedStatement lock = tx.prepareStatement(
        "SELECT id, balance FROM " + prefix + "_accounts WHERE id IN (?, ?) ORDER BY id FOR UPDATE")) {
      lock.setInt(1, from);
      lock.setInt(2, to);
      try (ResultSet rows = lock.executeQuery()) {
        while (rows.next()) {
          if (rows.getInt(1) == from) {
            fromBalance = rows.getLong(2);
          }
        }
      }
    }
    if (fromBalance < cents) {
      throw new Bank.InsufficientFunds("account " + from + " has " + fromBalance + ", transfer " + transferId + " needs " + cents);
    }
    try (PreparedStatement move = tx.prepareStatement("UPDATE " + prefix + "_accounts SET balance = balance + ? WHERE id = ?")) {
      move.setLong(1, -cents);
      move.setInt(2, from);
      move.addBatch();
      move.setLong(1, cents);
      move.setInt(2, to);
      move.addBatch();
      move.executeBatch();
    }
    try (PreparedStatement record = tx.prepareStatement("INSERT INTO " + prefix + "_transfers VALUES (?, ?, ?, ?, ?)")) {
      record.setString(1, transferId);
      record.setString(2, runId);
      record.setInt(3, from);
      record.setInt(4, to);
      record.setLong(5, cents);
      record.executeUpdate();
    }
  }

  /** Whether this is the first run of {@code transferId} to reach its hold (committed at once, on its own). */
  static boolean firstHold(DataSource dataSource, String prefix, String transferId) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement insert = connection.prepareStatement(
            "INSERT INTO " + prefix + "_holds VALUES (?) ON CONFLICT DO NOTHING")) {
      insert.setString(1, transferId);
      return insert.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new IllegalStateException("hold marker for " + transferId + ": " + e, e);
    }
  }

  static long sumOfBalances(DataSource dataSource, String prefix) throws SQLException {
    try (Connection connection = dataSource.getConnection(); Statement s = connection.createStatement();
        ResultSet row = s.executeQuery("SELECT SUM(balance), MIN(balance) FROM " + prefix + "_accounts")) {
      row.next();
      if (row.getLong(2) < 0) {
        throw new AssertionError("an account went negative: " + row.getLong(2));
      }
      return row.getLong(1);
    }
  }

  /** Each applied transfer's runs: the run ids of its rows in the transfers table (more than one: applied twice). */
  static Map<String, List<String>> appliedRuns(DataSource dataSource, String prefix) throws SQLException {
    Map<String, List<String>> runs = new HashMap<>();
    try (Connection connection = dataSource.getConnection(); Statement s = connection.createStatement();
        ResultSet rows = s.executeQuery("SELECT transfer_id, run_id FROM " + prefix + "_transfers")) {
      while (rows.next()) {
        runs.computeIfAbsent(rows.getString(1), id -> new ArrayList<>()).add(rows.getString(2));
      }
    }
    return runs;
  }

  /** Drops the run's tables (and the store's, {@code extra}); bounded by a lock timeout, never waits for ever. */
  static void drop(DataSource dataSource, String prefix, String... extra) throws SQLException {
    try (Connection connection = dataSource.getConnection(); Statement s = connection.createStatement()) {
      s.execute("SET lock_timeout = '10s'");
      for (String table : new String[] {prefix + "_accounts", prefix + "_transfers", prefix + "_holds"}) {
        s.execute("DROP TABLE IF EXISTS " + table);
      }
      for (String table : extra) {
        s.execute("DROP TABLE IF EXISTS " + table);
      }
    }
  }
}
