package dev.rabbitrpc.spring;

import dev.rabbitrpc.api.CallKey;
import dev.rabbitrpc.api.Deduplicated;
import dev.rabbitrpc.api.RpcService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;

/** The services and implementations the Spring tests export and import: shared fixtures in one place. */
final class TestServices {
  private TestServices() {}

  /** A greeting with a record. */
  record Greeting(String name, String text) {}

  @RpcService(queue = "spring-test-greeter")
  interface Greeter {
    String greet(String name);

    Greeting formal(String name) throws UnknownNameException;

    CompletableFuture<String> greetLater(String name);
  }

  @RpcExport
  static final class FriendlyGreeter implements Greeter {
    @Override
    public String greet(String name) {
      return "Hello, " + name;
    }

    @Override
    public Greeting formal(String name) throws UnknownNameException {
      if (name.isEmpty()) {
        throw new UnknownNameException("no name");
      }
      return new Greeting(name, "Good day, " + name);
    }

    @Override
    public CompletableFuture<String> greetLater(String name) {
      return CompletableFuture.supplyAsync(() -> greet(name));
    }
  }

  /** The service of the protocol vector collections-and-records.json. */
  record Book(String title, String author, int year) {}

  @RpcService(queue = "spring-test-catalog")
  interface Catalog {
    java.util.Map<String, java.util.List<Book>> byAuthor(java.util.List<Book> books);
  }

  @RpcService(queue = "spring-test-slow")
  interface Slow {
    CompletableFuture<String> held();
  }

  /** Holds each call until {@link #release} opens; {@link #entered} says a call is running. */
  @RpcExport
  static final class HeldSlow implements Slow {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public CompletableFuture<String> held() {
      entered.countDown();
      try {
        if (!release.await(30, TimeUnit.SECONDS)) {
          return CompletableFuture.failedFuture(new IllegalStateException("never released"));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return CompletableFuture.failedFuture(e);
      }
      return CompletableFuture.completedFuture("finished");
    }
  }

  /** A service on three shard queues; {@code rabbit-rpc.shards} chooses the ones an application serves. */
  @RpcService(queue = "spring-test-sharded", shards = 3)
  interface Sharded {
    String where(@dev.rabbitrpc.api.ShardKey int shardKey);
  }

  @RpcExport
  static final class ShardedImpl implements Sharded {
    @Override
    public String where(int shardKey) {
      return "served " + shardKey;
    }
  }

  /** Annotated, but implements no @RpcService interface: the export must fail naming the bean. */
  @RpcExport
  static final class NotAService implements Runnable {
    @Override
    public void run() {}
  }

  /** Credits an account once per call key: the replayed replies' service, writing to the database. */
  @RpcService(queue = "spring-test-ledger")
  interface Ledger {
    /** Inserts the credit with {@code JdbcTemplate}; the run's number on this server. */
    @Deduplicated
    int credit(@CallKey String key, String account, int amount);

    /** Inserts the credit through a {@code @Transactional} method of another bean; the run's number. */
    @Deduplicated
    int creditThroughService(@CallKey String key, String account, int amount);

    /**
     * Inserts the credit through a {@code @Transactional} method that then throws, and swallows its
     * exception: the transaction is rollback-only.
     */
    @Deduplicated
    int creditSwallowingAFailure(@CallKey String key, String account, int amount);

    /** Inserts the credit through a {@code @Transactional} method that then refuses it, unchecked and declared. */
    @Deduplicated
    int creditOverTheLimit(@CallKey String key, String account, int amount) throws OverTheLimitException;
  }

  /** A declared unchecked exception: Spring rolls back the transaction it leaves. */
  static final class OverTheLimitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OverTheLimitException(String message) {
      super(message);
    }
  }

  /** Inserts a credit in the caller's transaction ({@code REQUIRED}). */
  static class LedgerWriter {
    private final JdbcTemplate jdbc;
    private final String table;

    LedgerWriter(JdbcTemplate jdbc, String table) {
      this.jdbc = jdbc;
      this.table = table;
    }

    @Transactional
    public void insert(String key, String account, int amount) {
      jdbc.update("INSERT INTO " + table + " (call_key, account, amount) VALUES (?, ?, ?)", key, account, amount);
    }

    @Transactional
    public void insertThenFail(String key, String account, int amount) {
      insert(key, account, amount);
      throw new IllegalStateException("failed after inserting");
    }

    @Transactional
    public void insertThenRefuse(String key, String account, int amount) {
      insert(key, account, amount);
      throw new OverTheLimitException(account + " is over the limit");
    }
  }

  /**
   * The ledger's server: each run counted, and the next {@link #failAfterWriting} runs throw an
   * undeclared exception after their write.
   */
  @RpcExport
  static final class LedgerServer implements Ledger {
    final AtomicInteger runs = new AtomicInteger();
    final AtomicInteger failAfterWriting = new AtomicInteger();
    private final JdbcTemplate jdbc;
    private final LedgerWriter writer;
    private final String table;

    LedgerServer(JdbcTemplate jdbc, LedgerWriter writer, String table) {
      this.jdbc = jdbc;
      this.writer = writer;
      this.table = table;
    }

    @Override
    public int credit(String key, String account, int amount) {
      jdbc.update("INSERT INTO " + table + " (call_key, account, amount) VALUES (?, ?, ?)", key, account, amount);
      return ran();
    }

    @Override
    public int creditThroughService(String key, String account, int amount) {
      writer.insert(key, account, amount);
      return ran();
    }

    @Override
    public int creditSwallowingAFailure(String key, String account, int amount) {
      try {
        writer.insertThenFail(key, account, amount);
      } catch (IllegalStateException expected) {
        // swallowed: the transaction stays rollback-only
      }
      return ran();
    }

    @Override
    public int creditOverTheLimit(String key, String account, int amount) {
      writer.insertThenRefuse(key, account, amount);
      return ran();
    }

    private int ran() {
      int run = runs.incrementAndGet();
      if (failAfterWriting.getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
        throw new IllegalStateException("failed after writing, run " + run);
      }
      return run;
    }
  }
}
