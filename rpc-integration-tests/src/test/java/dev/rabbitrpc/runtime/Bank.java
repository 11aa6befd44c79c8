package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.CallKey;
import dev.rabbitrpc.api.Deduplicated;
import dev.rabbitrpc.api.RpcService;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * The transfer drill's bank ({@link ReplayDrillIT}): a non-idempotent transfer between accounts in
 * PostgreSQL, each applied transfer recorded by its id in the transfers table ({@link BankSql}), so
 * that applications are counted from the database. {@code transfer} is {@code @Deduplicated} with
 * the transfer id as its call key, and its writes join the reply store's transaction
 * ({@link JdbcReplyStore#connection()}); {@link Plain} is the same method without the feature, its
 * writes in a transaction of their own.
 */
@RpcService(queue = "replay-drill.bank")
public interface Bank {
  @Deduplicated(retention = 1, unit = TimeUnit.HOURS)
  Receipt transfer(@CallKey String transferId, int from, int to, long cents) throws InsufficientFunds;

  /** What a transfer answers; {@code runId} names the handler run that applied it. */
  record Receipt(String transferId, int from, int to, long cents, String runId) {}

  /** Declared, so kept and replayed like a result; thrown before any write. */
  class InsufficientFunds extends Exception {
    private static final long serialVersionUID = 1L;

    public InsufficientFunds(String message) {
      super(message);
    }
  }

  /** The comparison: the same transfer, not deduplicated (a user without the feature). */
  @RpcService(queue = "replay-drill.plain-bank")
  interface Plain {
    Receipt transfer(String transferId, int from, int to, long cents) throws InsufficientFunds;
  }

  /** Where the drill's server stops a transfer so that its JVM is killed there ({@link ReplayServerMain}). */
  interface Hooks {
    /** After the transfer's writes, before its transaction commits. */
    void afterWrites(String transferId);

    /**
     * After the transfer's transaction committed, before its reply is sent: for {@link Plain} after
     * the handler's commit; for {@link Bank} after the reply store committed the run with its reply
     * ({@link ReplayServerMain.KillPointStore}).
     */
    void afterCommit(String transferId);
  }

  /** The deduplicated bank: its writes go through the call's transaction. */
  final class Impl implements Bank {
    private final String prefix;
    private final Hooks hooks;

    Impl(String prefix, Hooks hooks) {
      this.prefix = prefix;
      this.hooks = hooks;
    }

    @Override
    public Receipt transfer(String transferId, int from, int to, long cents) throws InsufficientFunds {
      Connection tx = JdbcReplyStore.connection(); // not committed, rolled back or closed here
      String runId = UUID.randomUUID().toString();
      try {
        BankSql.apply(tx, prefix, transferId, from, to, cents, runId);
      } catch (SQLException e) {
        throw new IllegalStateException("transfer " + transferId + " failed: " + e, e); // undeclared: rolled back
      }
      hooks.afterWrites(transferId);
      return new Receipt(transferId, from, to, cents, runId);
    }
  }

  /** The bank without the feature: one transaction per run, on a connection of its own. */
  final class PlainImpl implements Plain {
    private final DataSource dataSource;
    private final String prefix;
    private final Hooks hooks;

    PlainImpl(DataSource dataSource, String prefix, Hooks hooks) {
      this.dataSource = dataSource;
      this.prefix = prefix;
      this.hooks = hooks;
    }

    @Override
    public Receipt transfer(String transferId, int from, int to, long cents) throws InsufficientFunds {
      String runId = UUID.randomUUID().toString();
      try (Connection tx = dataSource.getConnection()) {
        tx.setAutoCommit(false);
        try {
          BankSql.apply(tx, prefix, transferId, from, to, cents, runId);
          hooks.afterWrites(transferId);
          tx.commit();
        } catch (InsufficientFunds | RuntimeException | SQLException e) {
          tx.rollback();
          throw e;
        }
      } catch (SQLException e) {
        throw new IllegalStateException("transfer " + transferId + " failed: " + e, e);
      }
      hooks.afterCommit(transferId);
      return new Receipt(transferId, from, to, cents, runId);
    }
  }
}
