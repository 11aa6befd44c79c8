package dev.rabbitrpc.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A peer process of a scenario (a server or a client JVM on the harness's class path), and the
 * small line protocol between it and the harness: the child prints {@link #READY} once it serves or
 * is connected; the harness may then write command lines to its standard input and read its answer
 * lines; closing its standard input tells it to stop. Used by {@link Fairness} and {@link Scaling}.
 *
 * <p>Thread-safe for one caller per method at a time: the harness drives each child from one thread.
 */
final class ChildJvm {
  /** The line a child prints when it is ready. */
  static final String READY = "child-jvm-ready";
  private static final long READY_SECONDS = 60;
  private static final long EXIT_SECONDS = 30;

  private final String name;
  private final Process process;
  private final List<String> startOutput = new ArrayList<>();
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

  private ChildJvm(String name, Process process) {
    this.name = name;
    this.process = process;
  }

  /**
   * Starts {@code main} in a new JVM with the harness's class path and waits until it prints
   * {@link #READY} (at most a minute); the child's earlier output goes into the error if it never does.
   */
  static ChildJvm start(String name, Class<?> main, List<String> jvmOptions, List<String> args) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>(List.of(java.toString()));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(args);
    ChildJvm child = new ChildJvm(name, new ProcessBuilder(command).redirectErrorStream(true).start());
    child.awaitReady();
    return child;
  }

  private void awaitReady() throws Exception {
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          if (!ready.isDone() && line.equals(READY)) {
            ready.complete(null);
          } else if (!ready.isDone()) {
            synchronized (startOutput) {
              startOutput.add(line);
            }
          } else {
            lines.add(line);
          }
        }
        ready.completeExceptionally(new IllegalStateException(name + " exited: " + startOutput()));
      } catch (IOException e) {
        ready.completeExceptionally(e);
      }
    }, "bench-child-output-" + name);
    reader.setDaemon(true);
    reader.start();
    try {
      ready.get(READY_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      process.destroyForcibly();
      throw new TimeoutException(name + " not ready within " + READY_SECONDS + " s: " + startOutput());
    } catch (Exception e) {
      process.destroyForcibly();
      throw e;
    }
  }

  private String startOutput() {
    synchronized (startOutput) {
      return String.valueOf(startOutput);
    }
  }

  String name() {
    return name;
  }

  /** Writes one command line to the child's standard input. */
  void send(String command) throws IOException {
    OutputStream in = process.getOutputStream();
    in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  /** The child's next output line that starts with {@code prefix} (others are skipped), waiting at most {@code timeout}. */
  String awaitLine(String prefix, long timeout, TimeUnit unit) throws Exception {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (true) {
      String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new TimeoutException(name + ": no line starting \"" + prefix + "\" within " + timeout + " " + unit
            + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")"));
      }
      if (line.startsWith(prefix)) {
        return line;
      }
    }
  }

  /** Closes the child's standard input (its signal to stop) and waits for it to exit; kills it if it does not. */
  void stop() throws InterruptedException {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // already gone
    }
    if (!process.waitFor(EXIT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(EXIT_SECONDS, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------- the child's side

  /** In the child: says it is ready, then waits until the harness closes standard input. */
  static void readyUntilStopped() throws IOException {
    ready();
    while (System.in.read() >= 0) {
      // this child takes no commands; end of input is the signal to stop
    }
  }

  /** In the child: prints {@link #READY}. */
  static void ready() {
    System.out.println(READY);
    System.out.flush();
  }
}
