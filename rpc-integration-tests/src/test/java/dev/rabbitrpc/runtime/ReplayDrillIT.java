package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The transfer drill (docs/RELIABILITY.md, "Replayed replies: the transfer drill"): 24 caller threads
 * make random transfers among 10 accounts in PostgreSQL through 3 server JVMs on one queue, while the
 * test kills a server JVM with {@code kill -9} three times in the middle of a transfer (twice before
 * its transaction commits, once after the commit and before the reply is sent; a replacement JVM
 * starts each time) and resets the callers' connections twice. 8 callers have a 2 s deadline, so
 * calls end ambiguous ({@code DEADLINE_EXCEEDED}, {@code UNAVAILABLE}: "may have run"); each caller
 * retries its ambiguous calls later with the same transfer id ({@code @CallKey}) until it gets an
 * answer, and re-sends some answered ones as a restarted caller would. Then, from the database: the
 * sum of the balances is unchanged, every transfer answered OK was applied exactly once (by the run
 * whose receipt the caller got), every refused or failed one never, none twice.
 *
 * <p>The second test is the same workload and the same faults without the feature: a plain transfer
 * method, the callers retrying ambiguous calls by hand. The transfer killed after its commit is
 * applied twice by its hand retry, every run: the hazard the store removes (and the connection
 * resets add more, counted).
 *
 * <p>Where the kills land is not left to chance: a transfer with a {@code hold-} id stops after its
 * writes, an {@code after-commit-} one after its commit, and its server says so
 * ({@link ReplayServerMain}); the test kills that JVM once the caller's attempt has ended ambiguous.
 * PostgreSQL must run here (skipped with the reason otherwise; in CI, {@code CI=true}, it fails). The
 * broker is the suite's (RabbitMQ, RabbitMQ 4.3 in the {@code it-rabbitmq4} execution, or the
 * embedded one). Each run appends its counts to {@code target/replay-drill.md}.
 */
@RpcBrokerTest
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReplayDrillIT {
  private static final int CALLERS = 24;
  /** Callers with the short deadline; the others have the long one. */
  private static final int SHORT_CALLERS = 8;
  private static final int SERVERS = 3;
  private static final int ACCOUNTS = 10;
  private static final long INITIAL_BALANCE = 1_000_000;
  private static final Duration SHORT = Duration.ofSeconds(2);
  /** How long after an ambiguous attempt its server may still reach the kill point (see attemptUntilHeld). */
  private static final Duration HOLD_WINDOW = Duration.ofSeconds(10);
  private static final Duration LONG = Duration.ofSeconds(8);
  /** A caller retries an ambiguous call once this long has passed since its last attempt. */
  private static final long RETRY_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
  /** A caller with this many unanswered calls only retries them, making no new transfer. */
  private static final int MAX_PENDING = 3;

  /** What a caller calls: the deduplicated {@link Bank} or the {@link Bank.Plain} one. */
  @FunctionalInterface
  interface Teller {
    Bank.Receipt transfer(String transferId, int from, int to, long cents) throws Bank.InsufficientFunds;
  }

  record Spec(String id, int from, int to, long cents) {}

  enum Result { OK, REFUSED, AMBIGUOUS, FAILED }

  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("replay-drill");
  private final String prefix = "drill_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  private final List<Server> servers = new CopyOnWriteArrayList<>();
  private final ExecutorService pool = Executors.newCachedThreadPool(Threads.daemon("replay-drill"));
  private DataSource db;
  private TcpProxy proxy;

  // The run's record, from the callers' side.
  private final Map<String, Spec> specs = new ConcurrentHashMap<>();
  private final Map<String, Bank.Receipt> answeredOk = new ConcurrentHashMap<>();
  private final Set<String> refused = ConcurrentHashMap.newKeySet();
  private final Map<String, Code> failed = new ConcurrentHashMap<>();
  private final Set<String> everAmbiguous = ConcurrentHashMap.newKeySet();
  private final Set<String> unanswered = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
  private final AtomicLong calls = new AtomicLong();
  private final AtomicLong ambiguousAttempts = new AtomicLong();
  private final AtomicLong handRetries = new AtomicLong();
  private final AtomicLong resends = new AtomicLong();
  private final AtomicLong ambiguousThenAnswered = new AtomicLong();
  private final AtomicLong oks = new AtomicLong();
  private final AtomicInteger kills = new AtomicInteger();
  private final AtomicInteger cuts = new AtomicInteger();
  private volatile boolean stop;

  ReplayDrillIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @AfterEach
  void cleanUp() throws Exception {
    stop = true;
    pool.shutdownNow();
    for (Server server : servers) {
      server.kill();
    }
    if (proxy != null) {
      proxy.close();
    }
    broker.deleteQueue(queue);
    if (db != null) {
      BankSql.drop(db, prefix, prefix + "_replies");
    }
  }

  @Test
  void withTheReplyStoreEveryTransferIsAppliedExactlyOnce() throws Exception {
    Drill drill = new Drill(true);
    Bank shortBank = drill.shortClient.proxy(Bank.class, queue);
    Bank longBank = drill.longClient.proxy(Bank.class, queue);
    drill.run(shortBank::transfer, longBank::transfer);

    Map<String, List<String>> applied = drill.applied;
    assertTrue(errors.isEmpty(), "errors: " + errors);
    assertTrue(unanswered.isEmpty(), "ambiguous calls never answered: " + unanswered);
    assertEquals(drill.sumBefore, drill.sumAfter, "the sum of the balances");
    for (Map.Entry<String, Bank.Receipt> ok : answeredOk.entrySet()) {
      List<String> runs = applied.getOrDefault(ok.getKey(), List.of());
      assertEquals(List.of(ok.getValue().runId()), runs,
          "transfer " + ok.getKey() + " answered OK is applied once, by the run whose receipt the caller got");
    }
    for (String id : specs.keySet()) {
      if (!answeredOk.containsKey(id)) {
        assertEquals(List.of(), applied.getOrDefault(id, List.of()),
            "transfer " + id + " (refused: " + refused.contains(id) + ", failed: " + failed.get(id) + ") is never applied");
      }
    }
    assertTrue(specs.keySet().containsAll(applied.keySet()), "nothing applied that no caller asked for");
    assertEquals(0, drill.doubles, "transfers applied twice");
    // after-commit-2's server died after committing the run with its reply and before sending it; the
    // retry's receipt names that run (checked above): the caller got the kept reply, replayed.
    assertTrue(answeredOk.containsKey("after-commit-2"), "the transfer killed after its commit was answered");
    assertEquals(3, kills.get(), "kills");
    assertEquals(2, cuts.get(), "cuts");
    assertTrue(ambiguousThenAnswered.get() >= 3, "at least the 3 killed transfers ended ambiguous and were answered later");
    assertTrue(resends.get() > 0 && drill.replays > 0, "re-sent transfers got replayed replies");
  }

  @Test
  void withoutTheStoreAHandRetryAppliesATransferTwice() throws Exception {
    Drill drill = new Drill(false);
    Bank.Plain shortBank = drill.shortClient.proxy(Bank.Plain.class, queue);
    Bank.Plain longBank = drill.longClient.proxy(Bank.Plain.class, queue);
    drill.run(shortBank::transfer, longBank::transfer);

    assertTrue(errors.isEmpty(), "errors: " + errors);
    assertTrue(unanswered.isEmpty(), "ambiguous calls never answered: " + unanswered);
    // Transfers move money: applied twice, they still keep the sum. The hazard is in the transfers.
    assertEquals(drill.sumBefore, drill.sumAfter, "the sum of the balances");
    assertTrue(drill.applied.getOrDefault("after-commit-2", List.of()).size() >= 2,
        "the transfer killed after its commit was applied again by the caller's hand retry: " + drill.applied.get("after-commit-2"));
    assertTrue(drill.doubles >= 1, "doubles observed");
    assertEquals(3, kills.get(), "kills");
    assertEquals(2, cuts.get(), "cuts");
  }

  // ---------------------------------------------------------------- the drill

  /** One run: tables, servers, proxy, clients, callers, faults, verdict from the database. */
  private final class Drill {
    final boolean dedup;
    final RpcClient shortClient;
    final RpcClient longClient;
    final long sumBefore;
    long sumAfter;
    Map<String, List<String>> applied;
    long doubles;
    long replays;
    /** The last kill's replacement JVM, until it is ready. */
    private Server replacement;

    Drill(boolean dedup) throws Exception {
      this.dedup = dedup;
      db = BankSql.dataSource();
      BankSql.create(db, prefix, ACCOUNTS + 2, INITIAL_BALANCE); // the last two: the held transfers'
      if (dedup) {
        // The store's table, made here once rather than by three servers at once.
        JdbcReplyStore.builder(db).table(prefix + "_replies").purgeEvery(Duration.ZERO).build().close();
      }
      sumBefore = BankSql.sumOfBalances(db, prefix);
      List<Server> first = new ArrayList<>();
      for (int i = 0; i < SERVERS; i++) {
        first.add(startServer());
      }
      for (Server server : first) {
        server.awaitReady();
      }
      ConnectionFactory direct = RpcClient.Builder.factoryFor(broker.uri());
      proxy = new TcpProxy(direct.getHost(), direct.getPort());
      shortClient = client(SHORT);
      longClient = client(LONG);
      TestBroker.connect(shortClient);
      TestBroker.connect(longClient);
    }

    /** A client through the proxy (the connections the cuts reset), with a 1 s heartbeat. */
    private RpcClient client(Duration timeout) {
      ConnectionFactory factory = RpcClient.Builder.factoryFor(broker.uri());
      factory.setHost("127.0.0.1");
      factory.setPort(proxy.port());
      factory.setRequestedHeartbeat(1);
      factory.setHandshakeTimeout(60_000);
      return broker.client(b -> b.connectionFactory(factory).timeout(timeout));
    }

    Server startServer() throws Exception {
      return Server.start(broker.uri(), queue, prefix, dedup ? "dedup" : "plain", servers);
    }

    void run(Teller shortTeller, Teller longTeller) throws Exception {
      long started = System.nanoTime();
      List<Future<?>> callers = new ArrayList<>();
      for (int n = 0; n < CALLERS; n++) {
        int caller = n;
        Teller teller = n < SHORT_CALLERS ? shortTeller : longTeller;
        callers.add(pool.submit(() -> call(caller, teller)));
      }
      awaitProgress(200);
      kill(shortTeller, longTeller, "hold-1", 1);
      awaitProgress(100);
      cut();
      awaitProgress(100);
      kill(shortTeller, longTeller, "after-commit-2", 2);
      awaitProgress(100);
      cut();
      awaitProgress(100);
      kill(shortTeller, longTeller, "hold-3", 3);
      awaitProgress(100);
      stop = true;
      for (Future<?> caller : callers) {
        caller.get(60, TimeUnit.SECONDS); // each drains its unanswered calls, bounded
      }
      awaitReplacement();
      long retries = shortClient.stats().retries() + longClient.stats().retries();
      double seconds = (System.nanoTime() - started) / 1e9;
      for (Server server : servers) {
        server.stopGracefully();
      }
      replays = servers.stream().mapToLong(s -> s.replayed).sum();
      sumAfter = BankSql.sumOfBalances(db, prefix);
      applied = BankSql.appliedRuns(db, prefix);
      doubles = applied.values().stream().filter(runs -> runs.size() > 1).count();
      long extra = applied.values().stream().mapToLong(runs -> runs.size() - 1).sum();
      long answeredAmbiguousApplied = everAmbiguous.stream().filter(applied::containsKey).count();
      String row = String.format(
          "| %s | %s | %s | %.1f s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %s |",
          Instant.now().toString().substring(0, 16), brokerName(), dedup ? "JdbcReplyStore" : "no store, hand retries",
          seconds, calls.get(), oks.get(), refused.size(), failed.size(), ambiguousAttempts.get(), everAmbiguous.size(),
          ambiguousThenAnswered.get(), handRetries.get(), retries, resends.get(), replays, kills.get(), cuts.get(),
          doubles, extra, sumBefore, sumAfter, answeredAmbiguousApplied, failed.isEmpty() ? "" : failedByCode());
      System.out.println("Replay drill: | time | broker | variant | wall | calls | ok | refused | failed | ambiguous attempts"
          + " | ambiguous calls | ambiguous then answered | caller retries | client retries | re-sends | replays | kills | cuts"
          + " | doubles | extra applications | sum before | sum after | ambiguous calls applied | failed by code |\n" + row);
      Path report = Path.of("target", "replay-drill.md");
      Files.createDirectories(report.getParent());
      Files.writeString(report, row + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** One caller: new transfers, its ambiguous ones again when due, and (deduplicated) re-sends of answered ones. */
    private void call(int caller, Teller teller) {
      Random random = new Random(caller * 7919L + System.nanoTime());
      Deque<long[]> dueAt = new ArrayDeque<>(); // parallel to pending: last attempt's time
      Deque<Spec> pending = new ArrayDeque<>();
      List<Spec> mine = new ArrayList<>();
      int seq = 0;
      try {
        while (!stop) {
          if (!pending.isEmpty() && System.nanoTime() - dueAt.peekFirst()[0] > RETRY_AFTER_NANOS) {
            Spec spec = pending.pollFirst();
            dueAt.pollFirst();
            handRetries.incrementAndGet();
            if (attempt(teller, spec) == Result.AMBIGUOUS) {
              pending.addLast(spec);
              dueAt.addLast(new long[] {System.nanoTime()});
              Thread.sleep(20); // pause after a failed call, as a client would
            } else {
              ambiguousThenAnswered.incrementAndGet();
            }
            continue;
          }
          if (pending.size() >= MAX_PENDING) {
            Thread.sleep(20); // waiting for the next retry to be due
            continue;
          }
          if (dedup && !mine.isEmpty() && random.nextInt(10) == 0) {
            // The same transfer sent again, as a restarted caller would: the kept reply, nothing runs.
            resends.incrementAndGet();
            attempt(teller, mine.get(random.nextInt(mine.size())), true);
            continue;
          }
          int from = random.nextInt(ACCOUNTS);
          int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
          long cents = random.nextInt(50) == 0 ? 10 * INITIAL_BALANCE * ACCOUNTS : 1 + random.nextInt(5_000);
          Spec spec = new Spec("t-" + caller + "-" + seq++, from, to, cents);
          specs.put(spec.id(), spec);
          Result result = attempt(teller, spec);
          if (result == Result.OK) {
            mine.add(spec);
          } else if (result == Result.AMBIGUOUS) {
            pending.addLast(spec);
            dueAt.addLast(new long[] {System.nanoTime()});
            Thread.sleep(20); // pause after a failed call, as a client would
          }
        }
        // Drain: every ambiguous call is retried until it gets an answer (bounded).
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        while (!pending.isEmpty()) {
          Spec spec = pending.pollFirst();
          if (System.nanoTime() - end > 0) {
            unanswered.add(spec.id());
            continue;
          }
          handRetries.incrementAndGet();
          if (attempt(teller, spec) == Result.AMBIGUOUS) {
            pending.addLast(spec);
            Thread.sleep(50); // back-off between retries
          } else {
            ambiguousThenAnswered.incrementAndGet();
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException | Error e) {
        errors.add("caller " + caller + ": " + e);
      }
    }

    /** One attempt, its outcome recorded. */
    private Result attempt(Teller teller, Spec spec) {
      return attempt(teller, spec, false);
    }

    /** One attempt, its outcome recorded; a re-send of an answered transfer is not an ambiguous call. */
    private Result attempt(Teller teller, Spec spec, boolean resend) {
      calls.incrementAndGet();
      try {
        Bank.Receipt receipt = teller.transfer(spec.id(), spec.from(), spec.to(), spec.cents());
        oks.incrementAndGet();
        Bank.Receipt first = answeredOk.putIfAbsent(spec.id(), receipt);
        if (!receipt.transferId().equals(spec.id()) || receipt.cents() != spec.cents()) {
          errors.add("wrong receipt for " + spec + ": " + receipt);
        } else if (dedup && first != null && !first.equals(receipt)) {
          errors.add("transfer " + spec.id() + " answered twice with different receipts: " + first + " then " + receipt);
        }
        return Result.OK;
      } catch (Bank.InsufficientFunds e) {
        refused.add(spec.id());
        return Result.REFUSED;
      } catch (RpcException e) {
        if (e.code() == Code.DEADLINE_EXCEEDED || e.code() == Code.UNAVAILABLE) {
          ambiguousAttempts.incrementAndGet();
          if (!resend) {
            everAmbiguous.add(spec.id());
          }
          return Result.AMBIGUOUS;
        }
        failed.put(spec.id(), e.code());
        return Result.FAILED;
      }
    }

    /**
     * Kills the server JVM running {@code id} mid-handler: the transfer is sent with the short
     * deadline; once its server says it holds it and the caller's attempt has ended ambiguous, that
     * JVM gets {@code kill -9} and a replacement starts. Then the caller retries the transfer with
     * the same id until it is answered (the long deadline), before the next fault.
     */
    private void kill(Teller shortTeller, Teller longTeller, String id, int k) throws Exception {
      awaitReplacement(); // the previous kill's: three servers again
      Spec spec = new Spec(id, ACCOUNTS + k % 2, ACCOUNTS + (k + 1) % 2, 1_000);
      specs.put(id, spec);
      Future<Result> first = pool.submit(() -> attemptUntilHeld(shortTeller, spec));
      Server holder = awaitHolder(id, Duration.ofSeconds(40));
      assertTrue(holder != null, "a server held " + id + " within 40 s");
      assertEquals(Result.AMBIGUOUS, first.get(40, TimeUnit.SECONDS), id + "'s attempt ends ambiguous while its server holds it");
      holder.kill();
      kills.incrementAndGet();
      replacement = startServer();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
      while (true) {
        handRetries.incrementAndGet();
        if (attempt(longTeller, spec) != Result.AMBIGUOUS) {
          ambiguousThenAnswered.incrementAndGet();
          break;
        }
        if (System.nanoTime() - until > 0) {
          unanswered.add(id);
          break;
        }
        Thread.sleep(50); // back-off between retries
      }
    }

    private void awaitReplacement() throws InterruptedException {
      if (replacement != null) {
        replacement.awaitReady();
        replacement = null;
      }
    }

    /**
     * Sends {@code spec} until a server holds it: an attempt that ended ambiguous without reaching a
     * server (failed fast while its connection recovered) is sent again. Its last result. An attempt
     * that reached a server in time may reach its kill point only after its caller gave up: its
     * server starts it before its deadline, then writes and commits on a loaded machine; so it is
     * given {@link #HOLD_WINDOW} to be held before it counts as lost (3 s was once too short in CI,
     * and the re-sent attempt ran through while the first one was held).
     */
    private Result attemptUntilHeld(Teller teller, Spec spec) throws InterruptedException {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        Result result = attempt(teller, spec);
        if (result != Result.AMBIGUOUS || awaitHolder(spec.id(), HOLD_WINDOW) != null
            || System.nanoTime() - end > 0) {
          return result;
        }
      }
    }

    /** The server that said it holds {@code id}, waiting for it at most {@code timeout}; null if none did. */
    private Server awaitHolder(String id, Duration timeout) throws InterruptedException {
      long end = System.nanoTime() + timeout.toNanos();
      while (true) {
        for (Server server : servers) {
          if (server.markers.contains(id)) {
            return server;
          }
        }
        if (System.nanoTime() - end > 0) {
          return null;
        }
        Thread.sleep(10); // polling interval of a bounded wait
      }
    }

    private void cut() {
      proxy.cut();
      cuts.incrementAndGet();
    }

    /** Waits (bounded) until {@code answers} more calls were answered OK: the service works again. */
    private void awaitProgress(int answers) throws InterruptedException {
      long target = oks.get() + answers;
      TestBroker.await(Duration.ofSeconds(30), answers + " more transfers answered OK", () -> oks.get() >= target);
    }

    private Map<Code, Long> failedByCode() {
      return failed.values().stream().collect(java.util.stream.Collectors.groupingBy(c -> c, java.util.TreeMap::new,
          java.util.stream.Collectors.counting()));
    }

    private String brokerName() throws Exception {
      if (!broker.isRabbitMq()) {
        return "embedded";
      }
      try (com.rabbitmq.client.Connection connection = broker.rawConnection()) {
        return "RabbitMQ " + connection.getServerProperties().get("version");
      }
    }
  }

  // ---------------------------------------------------------------- server JVMs

  /** A {@link ReplayServerMain} JVM. */
  private static final class Server {
    final Process process;
    final Thread reader;
    final CountDownLatch ready = new CountDownLatch(1);
    /** The ids it said it holds ({@code HOLD}, {@code COMMITTED}). */
    final Set<String> markers = ConcurrentHashMap.newKeySet();
    /** Its last {@code REPLAYED} count. */
    volatile long replayed;

    private Server(Process process) {
      this.process = process;
      this.reader = new Thread(this::read, "replay-drill-server-reader");
      reader.setDaemon(true);
      reader.start();
    }

    static Server start(String uri, String queue, String prefix, String mode, List<Server> all) throws IOException {
      List<String> command = List.of(
          System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
          "-cp", System.getProperty("java.class.path"), ReplayServerMain.class.getName(), uri, queue, prefix, mode);
      Path logs = Path.of("target", "fault-servers");
      Files.createDirectories(logs);
      File log = logs.resolve(queue + "-" + System.nanoTime() + ".log").toFile();
      Server server = new Server(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.to(log)).start());
      all.add(server);
      return server;
    }

    private void read() {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          if (line.equals("READY")) {
            ready.countDown();
          } else if (line.startsWith("HOLD ") || line.startsWith("COMMITTED ")) {
            markers.add(line.substring(line.indexOf(' ') + 1));
          } else if (line.startsWith("REPLAYED ")) {
            replayed = Long.parseLong(line.substring(9));
          }
        }
      } catch (IOException e) {
        // the JVM died
      }
    }

    void awaitReady() throws InterruptedException {
      assertTrue(ready.await(60, TimeUnit.SECONDS), "a server JVM started within 60 s");
    }

    /** {@code kill -9}; waits (bounded) until it is gone and its output is read. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the killed server JVM ended");
      reader.join(10_000);
    }

    /** Closes its standard input (the server closes and exits), then kills it if it has not ended in 15 s. */
    void stopGracefully() throws InterruptedException {
      try {
        process.getOutputStream().close();
      } catch (IOException e) {
        // already gone
      }
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
      reader.join(10_000);
    }
  }
}
