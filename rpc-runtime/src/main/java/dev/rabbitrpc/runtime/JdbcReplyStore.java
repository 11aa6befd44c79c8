package dev.rabbitrpc.runtime;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ReplyStore} in a relational database (tested with PostgreSQL and MariaDB), shared by every
 * server of a queue: each call runs at most once across servers and restarts, and with the
 * handler's own writes in the same transaction, its effect is applied exactly once
 * (docs/guide/replayed-replies.md).
 *
 * <p><b>One transaction per run.</b> A claim inserts the key's row in a new transaction on a
 * connection of its own; the handler runs inside it and writes through {@link #connection()}; the
 * reply is written to the row and everything commits together before the reply is sent. A server
 * that dies before the commit leaves nothing: the database rolls the transaction back, and the
 * redelivered request or the caller's retry runs the call afresh. A server that dies after it
 * leaves the reply: the retry gets it. A duplicate that arrives while the first run's transaction is
 * open waits on the row's lock, within its deadline. Effects outside the database (a message sent, an
 * HTTP call made) are not in the transaction: they happen again if a run rolls back and is retried.
 *
 * <p><b>The table</b> (created if missing, unless {@link Builder#createTable(boolean) createTable(false)}):
 * <pre>
 * CREATE TABLE rpc_replies (
 *   scope       VARCHAR(190) NOT NULL,  -- the service's queue
 *   call_key    VARCHAR(200) NOT NULL,
 *   fingerprint CHAR(64)     NOT NULL,  -- hex SHA-256 of method, format, body
 *   status      VARCHAR(64),
 *   body        BYTEA,                  -- LONGBLOB on MariaDB/MySQL, BLOB elsewhere
 *   headers     TEXT,                   -- JSON object
 *   expires_at  BIGINT       NOT NULL,  -- epoch ms
 *   PRIMARY KEY (scope, call_key));
 * CREATE INDEX rpc_replies_expires ON rpc_replies (expires_at);
 * </pre>
 * Expired rows are deleted every {@link Builder#purgeEvery purge interval} (10 minutes by default)
 * on the store's own daemon thread, in batches, and at any time with {@link #purgeExpired()}.
 *
 * <p>Each run holds a connection from the pool for the handler's duration: size the pool for the
 * servers' workers. Thread-safe; {@link #close()} stops the purge thread (the data source is the application's).
 */
public final class JdbcReplyStore implements ReplyStore {
  private static final Logger log = LoggerFactory.getLogger(JdbcReplyStore.class);
  private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");
  private static final ThreadLocal<Connection> CURRENT = new ThreadLocal<>();
  
  private final DataSource dataSource;
  private final String table;
  private final ConnectionBinding binding;
  private final ScheduledExecutorService purger;
  private final JdbcReplyTable sql;

  private JdbcReplyStore(Builder builder) throws SQLException {
    this.dataSource = builder.dataSource;
    this.table = builder.table;
    this.binding = builder.binding;
    this.sql = new JdbcReplyTable(table);
    if (builder.createTable) {
      sql.create(dataSource);
    }
    if (builder.purgeEvery.isZero()) {
      this.purger = null;
    } else {
      this.purger = Executors.newSingleThreadScheduledExecutor(Threads.daemon("rabbit-rpc-reply-purge-" + table));
      long every = builder.purgeEvery.toMillis();
      purger.scheduleWithFixedDelay(this::purgeQuietly, every, every, TimeUnit.MILLISECONDS);
    }
  }

  /** A store on {@code dataSource}; see {@link Builder} for the table, its creation and the purge. */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /**
   * The transaction of the {@code @Deduplicated} call this thread is running: the handler's writes
   * through it commit with the call's reply, or roll back with its claim. Do not commit, roll back
   * or close it. An asynchronous handler must take it before it returns its future.
   *
   * @throws IllegalStateException outside such a call, or if its server's store is not a {@code JdbcReplyStore}
   */
  public static Connection connection() {
    Connection connection = CURRENT.get();
    if (connection == null) {
      throw new IllegalStateException("no @Deduplicated call served with a JdbcReplyStore is running on this thread");
    }
    return connection;
  }

  @Override
  public Claim claim(String scope, String key, byte[] fingerprint, Duration retention, Duration wait) throws SQLException {
    String print = HexFormat.of().formatHex(fingerprint);
    long waitUntil = System.nanoTime() + wait.toNanos();
    Connection connection = dataSource.getConnection();
    boolean handedOver = false;
    try {
      connection.setAutoCommit(false);
      while (true) {
        Claim found = committed(connection, scope, key, print, false);
        if (found != null) {
          return found;
        }
        try (PreparedStatement statement = connection.prepareStatement(sql.insert)) {
          statement.setString(1, scope);
          statement.setString(2, key);
          statement.setString(3, print);
          statement.setLong(4, Long.MAX_VALUE); // running: never expired; complete sets it
          // Blocks while another run of the key holds the row uncommitted: at most what is left of the wait.
          statement.setQueryTimeout(JdbcReplyTable.seconds(waitUntil - System.nanoTime()));
          statement.executeUpdate();
          handedOver = true;
          return new JdbcRun(connection, scope, key, retention);
        } catch (SQLException e) {
          rollbackQuietly(connection);
          if (JdbcReplyTable.isDuplicate(e)) {
            found = committed(connection, scope, key, print, true); // taken meanwhile: its run committed
            if (found != null) {
              return found;
            }
            continue; // expired and deleted meanwhile: claim it again
          }
          if (JdbcReplyTable.isTimeout(e) || System.nanoTime() - waitUntil >= 0) {
            return new Busy();
          }
          throw e;
        }
      }
    } finally {
      if (!handedOver) {
        closeQuietly(connection);
      }
    }
  }

  /**
   * The key's committed row as a claim's answer, or null if it has none (an expired one is deleted):
   * {@link Replay} or {@link Conflict}. Ends its read-only transaction.
   */
  private Claim committed(Connection connection, String scope, String key, String print, boolean waited)
      throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(sql.select)) {
      statement.setString(1, scope);
      statement.setString(2, key);
      try (ResultSet row = statement.executeQuery()) {
        if (!row.next()) {
          connection.commit();
          return null;
        }
        String rowPrint = row.getString(1).trim();
        String status = row.getString(2);
        byte[] body = row.getBytes(3);
        String headers = row.getString(4);
        long expiresAt = row.getLong(5);
        connection.commit();
        if (expiresAt < System.currentTimeMillis()) {
          deleteExpired(connection, scope, key);
          return null;
        }
        if (!rowPrint.equalsIgnoreCase(print)) {
          return new Conflict();
        }
        return new Replay(new StoredReply(status, body == null ? new byte[0] : body, JdbcReplyTable.readHeaders(headers)), waited);
      }
    } catch (SQLException e) {
      rollbackQuietly(connection);
      throw e;
    }
  }

  private void deleteExpired(Connection connection, String scope, String key) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(sql.deleteExpiredKey)) {
      statement.setString(1, scope);
      statement.setString(2, key);
      statement.setLong(3, System.currentTimeMillis());
      statement.executeUpdate();
      connection.commit();
    }
  }

  /** Durable: a key it does not know has no committed run, so a redelivered request with it may run. */
  @Override
  public boolean durable() {
    return true;
  }

  /**
   * Deletes the rows whose retention has passed, in batches of at most 1,000 keys.
   *
   * @return how many it deleted
   */
  public int purgeExpired() throws SQLException {
    return sql.purgeExpired(dataSource);
  }

  private void purgeQuietly() {
    try {
      int deleted = purgeExpired();
      if (deleted > 0) {
        log.debug("deleted {} expired replies from {}", deleted, table);
      }
    } catch (SQLException | RuntimeException e) {
      log.warn("could not delete expired replies from {}: {}", table, e.toString());
    }
  }

  /** Stops the purge thread. The data source, and the rows, are left as they are. */
  @Override
  public void close() {
    if (purger != null) {
      purger.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "JdbcReplyStore[" + table + "]";
  }

  private static void rollbackQuietly(Connection connection) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      log.debug("rollback failed", e);
    }
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException e) {
      log.debug("close failed", e);
    }
  }

  /** A claimed key: its row inserted, uncommitted, on its own connection. */
  private final class JdbcRun implements Run {
    private final Connection connection;
    private final String scope;
    private final String key;
    private final Duration retention;
    private final AtomicBoolean ended = new AtomicBoolean();

    JdbcRun(Connection connection, String scope, String key, Duration retention) {
      this.connection = connection;
      this.scope = scope;
      this.key = key;
      this.retention = retention;
    }

    @Override
    public <T> T around(Supplier<T> handler) {
      Connection previous = CURRENT.get();
      CURRENT.set(connection);
      try {
        return binding.around(connection, handler);
      } finally {
        if (previous == null) {
          CURRENT.remove();
        } else {
          CURRENT.set(previous);
        }
      }
    }

    @Override
    public void complete(StoredReply reply) throws SQLException {
      if (!ended.compareAndSet(false, true)) {
        throw new IllegalStateException("the claim of call key " + key + " has ended already");
      }
      try (PreparedStatement statement = connection.prepareStatement(sql.complete)) {
        statement.setString(1, reply.status());
        statement.setBytes(2, reply.body());
        statement.setString(3, JdbcReplyTable.writeHeaders(reply.headers()));
        statement.setLong(4, System.currentTimeMillis() + retention.toMillis());
        statement.setString(5, scope);
        statement.setString(6, key);
        if (statement.executeUpdate() != 1) {
          throw new SQLException("the claimed row of call key " + key + " is gone from " + table);
        }
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(connection);
        throw e;
      } finally {
        closeQuietly(connection);
      }
    }

    @Override
    public void abandon() {
      if (!ended.compareAndSet(false, true)) {
        return;
      }
      rollbackQuietly(connection);
      closeQuietly(connection);
    }
  }

  /**
   * Makes a run's connection the one the handler's data access uses, for frameworks that keep their
   * own (the Spring Boot module binds it to Spring's transaction synchronization, so that
   * {@code JdbcTemplate} and {@code @Transactional} methods join the run's transaction).
   */
  @FunctionalInterface
  public interface ConnectionBinding {
    /** Runs {@code handler} with {@code connection} bound, and unbinds it after. */
    <T> T around(Connection connection, Supplier<T> handler);
  }

  /** Settings of a {@link JdbcReplyStore}. Not thread-safe: configure on one thread. */
  public static final class Builder {
    private final DataSource dataSource;
    private String table = "rpc_replies";
    private boolean createTable = true;
    private Duration purgeEvery = Duration.ofMinutes(10);
    private ConnectionBinding binding = new ConnectionBinding() {
      @Override
      public <T> T around(Connection connection, Supplier<T> handler) {
        return handler.get();
      }
    };

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** The table's name ({@code rpc_replies} by default), optionally schema-qualified. */
    public Builder table(String table) {
      if (table == null || !TABLE.matcher(table).matches()) {
        throw new IllegalArgumentException("not a table name: " + table);
      }
      this.table = table;
      return this;
    }

    /** Whether {@link #build()} creates the table and its index if they are missing (true by default). */
    public Builder createTable(boolean createTable) {
      this.createTable = createTable;
      return this;
    }

    /** How often expired rows are deleted on the store's thread (10 minutes by default); zero: never (call {@link JdbcReplyStore#purgeExpired()}). */
    public Builder purgeEvery(Duration every) {
      if (every == null || every.isNegative()) {
        throw new IllegalArgumentException("purgeEvery must be zero or positive: " + every);
      }
      this.purgeEvery = every;
      return this;
    }

    /** How a run's connection is made the handler's (see {@link ConnectionBinding}); by default only {@link JdbcReplyStore#connection()}. */
    public Builder connectionBinding(ConnectionBinding binding) {
      this.binding = Objects.requireNonNull(binding, "binding");
      return this;
    }

    /**
     * The store; creates the table if asked to.
     *
     * @throws SQLException if the database refuses the table
     */
    public JdbcReplyStore build() throws SQLException {
      return new JdbcReplyStore(this);
    }
  }
}
