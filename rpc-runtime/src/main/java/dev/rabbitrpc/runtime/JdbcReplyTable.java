package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The SQL of a {@link JdbcReplyStore}'s table: its statements, its creation in the database's
 * dialect (PostgreSQL, MariaDB/MySQL, others), the purge of expired rows, and how the drivers say
 * "duplicate key" and "lock wait timed out".
 *
 * <p>Immutable and thread-safe.
 */
final class JdbcReplyTable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int PURGE_BATCH = 1000;

  final String table;
  final String insert;
  final String select;
  final String complete;
  final String deleteExpiredKey;

  JdbcReplyTable(String table) {
    this.table = table;
    this.insert = "INSERT INTO " + table + " (scope, call_key, fingerprint, expires_at) VALUES (?, ?, ?, ?)";
    this.select = "SELECT fingerprint, status, body, headers, expires_at FROM " + table + " WHERE scope = ? AND call_key = ?";
    this.complete = "UPDATE " + table + " SET status = ?, body = ?, headers = ?, expires_at = ? WHERE scope = ? AND call_key = ?";
    this.deleteExpiredKey = "DELETE FROM " + table + " WHERE scope = ? AND call_key = ? AND expires_at < ?";
  }

  /** Creates the table and its index on {@code expires_at} if they are missing. */
  void create(DataSource dataSource) throws SQLException {
    try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
      connection.setAutoCommit(true);
      String product = connection.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
      boolean mysql = product.contains("mariadb") || product.contains("mysql");
      String blob = product.contains("postgres") ? "BYTEA" : mysql ? "LONGBLOB" : "BLOB";
      String index = table.replace('.', '_') + "_expires";
      statement.execute("CREATE TABLE IF NOT EXISTS " + table + " (scope VARCHAR(190) NOT NULL, call_key VARCHAR(200) NOT NULL,"
          + " fingerprint CHAR(64) NOT NULL, status VARCHAR(64), body " + blob + ", headers TEXT,"
          + " expires_at BIGINT NOT NULL, PRIMARY KEY (scope, call_key)"
          + (mysql ? ", INDEX " + index + " (expires_at))" : ")"));
      if (!mysql) {
        statement.execute("CREATE INDEX IF NOT EXISTS " + index + " ON " + table + " (expires_at)");
      }
    }
  }

  /** Deletes the expired rows in batches; how many. */
  int purgeExpired(DataSource dataSource) throws SQLException {
    int deleted = 0;
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(true);
      while (true) {
        int batch = 0;
        try (PreparedStatement keys = connection.prepareStatement(
            "SELECT scope, call_key FROM " + table + " WHERE expires_at < ?")) {
          keys.setLong(1, System.currentTimeMillis());
          keys.setMaxRows(PURGE_BATCH);
          try (ResultSet rows = keys.executeQuery();
              PreparedStatement delete = connection.prepareStatement(this.deleteExpiredKey)) {
            long now = System.currentTimeMillis();
            while (rows.next()) {
              delete.setString(1, rows.getString(1));
              delete.setString(2, rows.getString(2));
              delete.setLong(3, now);
              delete.addBatch();
              batch++;
            }
            if (batch > 0) {
              for (int count : delete.executeBatch()) {
                deleted += Math.max(0, count);
              }
            }
          }
        }
        if (batch < PURGE_BATCH) {
          return deleted;
        }
      }
    }
  }

  static int seconds(long nanos) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (nanos + 999_999_999L) / 1_000_000_000L));
  }

  /** A unique key violated (SQL state class 23): another run of the key committed first. */
  static boolean isDuplicate(SQLException e) {
    return e.getSQLState() != null && e.getSQLState().startsWith("23");
  }

  /** The statement's time ran out waiting for a lock: PostgreSQL's cancel (57014), MariaDB's lock wait or statement time. */
  static boolean isTimeout(SQLException e) {
    return e instanceof java.sql.SQLTimeoutException || "57014".equals(e.getSQLState()) || "70100".equals(e.getSQLState())
        || e.getErrorCode() == 1205 || e.getErrorCode() == 1969 || e.getErrorCode() == 3024;
  }

  static Map<String, String> readHeaders(String json) {
    if (json == null || json.isEmpty()) {
      return Map.of();
    }
    try {
      return JSON.readValue(json, new TypeReference<Map<String, String>>() {});
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable headers in a stored reply: " + json, e);
    }
  }

  static String writeHeaders(Map<String, String> headers) {
    try {
      return headers.isEmpty() ? null : JSON.writeValueAsString(headers);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
