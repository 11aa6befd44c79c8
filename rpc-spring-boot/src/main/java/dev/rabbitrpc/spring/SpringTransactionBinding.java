package dev.rabbitrpc.spring;

import dev.rabbitrpc.runtime.JdbcReplyStore;
import java.sql.Connection;
import java.util.List;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.transaction.UnexpectedRollbackException;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Makes a {@link JdbcReplyStore} run's transaction the Spring transaction of its handler: the run's
 * connection is bound to {@link TransactionSynchronizationManager} under the store's
 * {@code DataSource} as an active transaction, as {@code DataSourceTransactionManager} binds its own.
 * So {@code JdbcTemplate} (through {@code DataSourceUtils}) uses that connection, and a
 * {@code @Transactional} method with {@code REQUIRED}, {@code SUPPORTS} or {@code MANDATORY}
 * propagation joins the transaction instead of starting one: its writes commit with the call's reply,
 * or roll back with its claim. {@code REQUIRES_NEW} suspends it and commits on its own, as in Spring.
 *
 * <p>What Spring would do at the end of a transaction it began happens here too, as far as it can:
 * a participating method that marked the transaction rollback-only (it threw, and the handler caught
 * it) makes the run fail with {@link UnexpectedRollbackException}: nothing commits and the caller
 * gets {@code INTERNAL}; so does a declared unchecked exception thrown out of such a method, which
 * Spring rolls back (this binding sees the transaction's state, not the call's outcome). The run
 * commits after the handler returns, when its reply is kept, on another path than Spring's: {@link TransactionSynchronization} callbacks the handler registers
 * ({@code @TransactionalEventListener}, {@code afterCommit}) are completed with
 * {@link TransactionSynchronization#STATUS_UNKNOWN} when it returns (and a warning is logged), so they
 * release what they hold but do not see the commit.
 *
 * <p>Only the handler's own thread is bound, for the synchronous part of its work. Thread-safe: each
 * call binds and unbinds on its worker's thread.
 */
final class SpringTransactionBinding implements JdbcReplyStore.ConnectionBinding {
  private static final Logger log = LoggerFactory.getLogger(SpringTransactionBinding.class);

  private final DataSource dataSource;

  SpringTransactionBinding(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  @Override
  public <T> T around(Connection connection, Supplier<T> handler) {
    if (TransactionSynchronizationManager.hasResource(dataSource)) {
      throw new IllegalStateException("a transaction on the reply store's DataSource is already bound to this thread;"
          + " a @Deduplicated call runs in its own");
    }
    // Active: DataSourceTransactionManager.isExistingTransaction, so @Transactional(REQUIRED) joins it.
    ConnectionHolder holder = new ConnectionHolder(connection, true);
    holder.setSynchronizedWithTransaction(true);
    boolean ownSynchronization = !TransactionSynchronizationManager.isSynchronizationActive();
    boolean wasActive = TransactionSynchronizationManager.isActualTransactionActive();
    TransactionSynchronizationManager.bindResource(dataSource, holder);
    if (ownSynchronization) {
      // Ours, so that a participating method does not run the callbacks at its own end, before the commit.
      TransactionSynchronizationManager.initSynchronization();
    }
    TransactionSynchronizationManager.setActualTransactionActive(true);
    T result;
    try {
      result = handler.get();
    } finally {
      List<TransactionSynchronization> registered = List.of();
      if (ownSynchronization) {
        registered = TransactionSynchronizationManager.getSynchronizations();
        TransactionSynchronizationManager.clearSynchronization();
      }
      TransactionSynchronizationManager.setActualTransactionActive(wasActive);
      TransactionSynchronizationManager.unbindResource(dataSource);
      completeUnknown(registered);
    }
    if (holder.isRollbackOnly()) {
      throw new UnexpectedRollbackException("a @Transactional method of the @Deduplicated call marked its transaction"
          + " rollback-only: the call's writes are rolled back and its reply is not kept");
    }
    return result;
  }

  private static void completeUnknown(List<TransactionSynchronization> registered) {
    if (registered.isEmpty()) {
      return;
    }
    log.warn("{} transaction synchronization(s) registered by a @Deduplicated call are completed with STATUS_UNKNOWN:"
        + " its transaction commits later, with its reply", registered.size());
    for (TransactionSynchronization synchronization : registered) {
      try {
        synchronization.afterCompletion(TransactionSynchronization.STATUS_UNKNOWN);
      } catch (RuntimeException e) {
        log.warn("a transaction synchronization failed after completion", e);
      }
    }
  }
}
