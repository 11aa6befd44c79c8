package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.ConnectionFactory;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Ledger server in its own JVM, for the fault suites to kill or to cut off with its broker node:
 * prints {@code READY} once serving and {@code EXEC <callId>} for each non-idempotent execution, so
 * the parent counts executions across processes.
 *
 * <p>Arguments: {@code URI QUEUE [ADDRESSES]}. With {@code ADDRESSES} ({@code host:port,...}, a
 * cluster) the server connects to the first reachable one, with the cluster suite's connection
 * settings ({@link ClusterFaultIT#factory}), and declares a missing queue as a quorum queue.
 */
public final class FaultServerMain {
  private FaultServerMain() {}

  public static void main(String[] args) throws IOException {
    String uri = args[0];
    String queue = args[1];
    // A grace of 1 s, unless the test gives another (GracefulCloseIT: a close that lets a slow call finish).
    long graceMillis = Long.parseLong(System.getProperty("fault.server.graceMillis", "1000"));
    RpcClient.Builder builder = RpcClient.builder().uri(uri).workers(4).shutdownGrace(Duration.ofMillis(graceMillis));
    if (args.length > 2) {
      ConnectionFactory factory = ClusterFaultIT.factory(uri);
      builder.connectionFactory(factory).addresses(args[2].split(",")).quorumQueues(true)
          .connectionName("rabbit-rpc cluster server");
    }
    RpcClient client = builder.build();
    client.export(Ledger.class, new Ledger.Impl(new java.util.concurrent.ConcurrentHashMap<>(),
        id -> say("EXEC " + id), id -> say("BEGIN " + id)), queue);
    System.out.println("READY");
    System.out.flush();
    // Serve until the parent closes our stdin or kills us.
    while (System.in.read() >= 0) {
      // ignore input
    }
    client.close();
  }

  private static void say(String line) {
    synchronized (System.out) {
      System.out.println(line);
      System.out.flush();
    }
  }

  /**
   * Starts a server JVM with {@code args} and waits (at most 60 s) until it serves; its
   * {@code EXEC} lines are counted into {@code executions}. Closing the handle kills it and reads
   * its output to the end, so every execution is counted before a verdict. Its standard error (the
   * server's log) goes to {@code target/fault-servers/}, one file per JVM, for the post-mortem of a
   * failed fault test.
   */
  static Child start(Map<String, AtomicInteger> executions, String... args) throws Exception {
    return start(executions, Duration.ofSeconds(1), args);
  }

  /** As {@link #start(Map, String...)}, with a server whose shutdown grace is {@code grace}. */
  static Child start(Map<String, AtomicInteger> executions, Duration grace, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "-Dfault.server.graceMillis=" + grace.toMillis(),
        "-cp", System.getProperty("java.class.path"), FaultServerMain.class.getName()));
    command.addAll(List.of(args));
    java.nio.file.Path logs = java.nio.file.Path.of("target", "fault-servers");
    java.nio.file.Files.createDirectories(logs);
    File log = logs.resolve(args[1].replaceAll("[^A-Za-z0-9._-]", "_") + "-" + System.nanoTime() + ".log").toFile();
    Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.to(log)).start();
    CountDownLatch ready = new CountDownLatch(1);
    java.util.Set<String> begun = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          if (line.equals("READY")) {
            ready.countDown();
          } else if (line.startsWith("EXEC ")) {
            executions.computeIfAbsent(line.substring(5), id -> new AtomicInteger()).incrementAndGet();
          } else if (line.startsWith("BEGIN ")) {
            begun.add(line.substring(6));
          }
        }
      } catch (IOException e) {
        // the child died
      }
    }, "child-server-reader");
    reader.start();
    Child handle = new Child(child, reader, begun);
    if (!ready.await(60, TimeUnit.SECONDS)) {
      handle.close();
      assertTrue(false, "child server started within 60 s");
    }
    return handle;
  }

  /** A running server JVM. */
  static final class Child implements AutoCloseable {
    final Process process;
    private final Thread reader;
    /** The call ids of the {@code slowAdd}s that began in it ({@code BEGIN} lines). */
    final java.util.Set<String> begun;

    private Child(Process process, Thread reader, java.util.Set<String> begun) {
      this.process = process;
      this.reader = reader;
      this.begun = begun;
    }

    /** Closes its standard input: the server JVM closes its client gracefully and exits. */
    void closeGracefully() throws IOException {
      process.getOutputStream().close();
    }

    @Override
    public void close() {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
        reader.join(10_000); // every EXEC line is counted before the verdict
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
