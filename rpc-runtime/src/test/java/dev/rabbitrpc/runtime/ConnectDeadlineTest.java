package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.TestServices.Types;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Connecting is bounded by each call's own deadline: against a port that accepts TCP and never
 * speaks AMQP (a hung broker, a wrong service on the port), a call fails with
 * {@code DEADLINE_EXCEEDED} at its deadline, not at amqp-client's handshake timeout; callers share
 * one attempt; async calls never block their caller.
 */
class ConnectDeadlineTest {
  /** Far above the calls' deadlines: before the fix, calls waited for this. */
  private static final int HANDSHAKE_TIMEOUT_MS = 60_000;
  /** What "at its deadline" allows on a slow machine; an order of magnitude below the handshake timeout. */
  private static final long SLACK_NANOS = TimeUnit.SECONDS.toNanos(4);

  private ServerSocket silent;
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();
  private RpcClient client;

  @BeforeEach
  void startSilentServer() throws IOException {
    silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      try {
        while (true) {
          accepted.add(silent.accept()); // held open, never written to
        }
      } catch (IOException closed) {
        // the test is over
      }
    }, "silent-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    ConnectionFactory factory = RpcClient.Builder.factoryFor("amqp://guest:guest@127.0.0.1:" + silent.getLocalPort());
    factory.setHandshakeTimeout(HANDSHAKE_TIMEOUT_MS);
    client = RpcClient.builder().connectionFactory(factory).timeout(Duration.ofMillis(500)).build();
  }

  @AfterEach
  void stop() throws IOException {
    client.close();
    silent.close();
    for (Socket socket : accepted) {
      socket.close();
    }
  }

  @Test
  void aSyncCallFailsWithDeadlineExceededAtItsDeadlineWhileTheBrokerNeverAnswers() {
    Types types = client.proxy(Types.class);
    long start = System.nanoTime();
    RpcException failure = assertThrows(RpcException.class, () -> types.add(1, 2));
    long elapsed = System.nanoTime() - start;
    assertEquals(Code.DEADLINE_EXCEEDED, failure.code(), failure.getMessage());
    assertTrue(failure.getMessage().contains("connecting"), failure.getMessage());
    assertTrue(elapsed < TimeUnit.MILLISECONDS.toNanos(500) + SLACK_NANOS, "took " + elapsed / 1_000_000 + " ms");
    assertEquals(0, client.stats().pendingCalls());
  }

  @Test
  void callersWaitingForTheConnectionShareOneAttemptAndEachFailsAtItsOwnDeadline() throws Exception {
    Types types = client.proxy(Types.class);
    List<CompletableFuture<RpcException>> callers = new CopyOnWriteArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < 4; i++) {
      callers.add(CompletableFuture.supplyAsync(() -> assertThrows(RpcException.class, () -> types.add(1, 2))));
    }
    for (CompletableFuture<RpcException> caller : callers) {
      assertEquals(Code.DEADLINE_EXCEEDED, caller.get(30, TimeUnit.SECONDS).code());
    }
    long elapsed = System.nanoTime() - start;
    assertTrue(elapsed < TimeUnit.MILLISECONDS.toNanos(500) + SLACK_NANOS, "took " + elapsed / 1_000_000 + " ms");
    // Not one attempt per waiting caller in turn: the one attempt (still in its handshake) served them all.
    assertEquals(1, accepted.size(), "connections opened");
  }

  @Test
  void anAsyncCallReturnsAtOnceAndFailsAtItsDeadline() throws Exception {
    Types types = client.proxy(Types.class);
    CompletableFuture<?> call = types.nothingAsync();
    // The handshake can only end in 60 s: a future that is here and pending was never blocked on it.
    assertFalse(call.isDone(), "the call waits for the connection without blocking its caller");
    ExecutionException failure = assertThrows(ExecutionException.class, () -> call.get(30, TimeUnit.SECONDS));
    RpcException cause = assertInstanceOf(RpcException.class, failure.getCause());
    assertEquals(Code.DEADLINE_EXCEEDED, cause.code(), cause.getMessage());
  }

  @Test
  void closingTheClientCompletesAnAsyncCallWaitingForTheConnection() throws Exception {
    RpcClient patient = RpcClient.builder()
        .connectionFactory(RpcClient.Builder.factoryFor("amqp://guest:guest@127.0.0.1:" + silent.getLocalPort()))
        .timeout(Duration.ofSeconds(60)).build();
    CompletableFuture<?> call = patient.proxy(Types.class).nothingAsync();
    assertFalse(call.isDone());
    patient.close();
    ExecutionException failure = assertThrows(ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
    assertEquals(Code.CANCELLED, assertInstanceOf(RpcException.class, failure.getCause()).code());
  }
}
