package dev.rabbitrpc.runtime;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;

/**
 * A bank server in its own JVM for the transfer drill ({@link ReplayDrillIT}), which kills it with
 * {@code kill -9}. Prints {@code READY} once serving.
 *
 * <p>Arguments: {@code URI QUEUE TABLE-PREFIX MODE}. {@code MODE} {@code dedup}: {@link Bank} with a
 * {@link JdbcReplyStore} (table {@code <prefix>_replies}, which the test created) on PostgreSQL;
 * prints {@code REPLAYED <n>} whenever its server's count of replayed replies changes. {@code plain}:
 * {@link Bank.Plain}, no store.
 *
 * <p>Where the kills land: a transfer whose id starts with {@code hold-} prints {@code HOLD <id>}
 * after its writes, before its transaction commits; one whose id starts with {@code after-commit-}
 * prints {@code COMMITTED <id>} after its commit, before its reply is sent (in {@code dedup} mode:
 * once the store has committed the run with its reply, {@link KillPointStore}). Either then blocks
 * (ignoring interrupts, at most 120 s) until the test kills the JVM. Each id stops so only the first
 * time it runs in any server (a marker row committed on its own), so its retry runs through.
 */
public final class ReplayServerMain {
  private ReplayServerMain() {}

  public static void main(String[] args) throws IOException, SQLException {
    String uri = args[0];
    String queue = args[1];
    String prefix = args[2];
    boolean dedup = args[3].equals("dedup");
    DataSource dataSource = BankSql.pg();
    Bank.Hooks hooks = new Bank.Hooks() {
      @Override
      public void afterWrites(String transferId) {
        if (transferId.startsWith("hold-") && BankSql.firstHold(dataSource, prefix, transferId)) {
          holdUntilKilled("HOLD " + transferId);
        }
      }

      @Override
      public void afterCommit(String transferId) {
        if (transferId.startsWith("after-commit-") && BankSql.firstHold(dataSource, prefix, transferId)) {
          holdUntilKilled("COMMITTED " + transferId);
        }
      }
    };
    RpcClient client = RpcClient.builder().uri(uri).workers(8).shutdownGrace(Duration.ofSeconds(1)).build();
    if (dedup) {
      ReplyStore store = new KillPointStore(JdbcReplyStore.builder(dataSource).table(prefix + "_replies")
          .createTable(false).purgeEvery(Duration.ZERO).build(), hooks);
      RpcServer server = client.server(Bank.class, new Bank.Impl(prefix, hooks)).queue(queue).replyStore(store).export();
      Thread stats = new Thread(() -> {
        long reported = 0;
        while (true) {
          long replayed = server.stats().replayedReplies();
          if (replayed != reported) {
            reported = replayed;
            say("REPLAYED " + replayed);
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // reporting interval
        }
      }, "replay-stats");
      stats.setDaemon(true);
      stats.start();
    } else {
      client.export(Bank.Plain.class, new Bank.PlainImpl(dataSource, prefix, hooks), queue);
    }
    say("READY");
    // Serve until the parent closes our stdin or kills us.
    while (System.in.read() >= 0) {
      // ignore input
    }
    client.close();
  }

  /**
   * The JDBC store, with a kill point between a run's commit and its reply: a run's {@code complete}
   * commits the claim, the handler's writes and the reply together; the server sends the reply only
   * after it returns. So {@link Bank.Hooks#afterCommit} called there stops a transfer whose reply is
   * kept but not sent: a retry must get the kept reply, replayed.
   */
  static final class KillPointStore implements ReplyStore {
    private final ReplyStore store;
    private final Bank.Hooks hooks;

    KillPointStore(ReplyStore store, Bank.Hooks hooks) {
      this.store = store;
      this.hooks = hooks;
    }

    @Override
    public Claim claim(String scope, String key, byte[] fingerprint, Duration retention, Duration wait) throws Exception {
      Claim claim = store.claim(scope, key, fingerprint, retention, wait);
      if (!(claim instanceof Run run)) {
        return claim;
      }
      return new Run() {
        @Override
        public <T> T around(java.util.function.Supplier<T> handler) {
          return run.around(handler);
        }

        @Override
        public void complete(StoredReply reply) throws Exception {
          run.complete(reply);
          hooks.afterCommit(key);
        }

        @Override
        public void abandon() {
          run.abandon();
        }
      };
    }

    @Override
    public boolean durable() {
      return store.durable();
    }

    @Override
    public void close() {
      store.close();
    }
  }

  /** Says {@code marker} and blocks, interrupts or not, until the JVM is killed (at most 120 s). */
  private static void holdUntilKilled(String marker) {
    say(marker);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() - end < 0) {
      LockSupport.parkNanos(end - System.nanoTime());
    }
    throw new IllegalStateException(marker + ": the test never killed this server");
  }

  private static void say(String line) {
    synchronized (System.out) {
      System.out.println(line);
      System.out.flush();
    }
  }
}
