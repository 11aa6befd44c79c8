package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcService;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A server's settings at export, without a broker: the client's by default, its own where set. */
class ServerBuilderTest {
  @RpcService(queue = "accounts", shards = 4)
  interface Accounts {
    String credit(String account, int amount);
  }

  static final class AccountsImpl implements Accounts {
    @Override
    public String credit(String account, int amount) {
      return account;
    }
  }

  private static final ServerInterceptor CLIENT_WIDE = (call, chain) -> chain.proceed(call);
  private static final ServerInterceptor THIS_SERVER = (call, chain) -> chain.proceed(call);

  private static ServerBuilder<Accounts> builder(AtomicReference<ServerBuilder<?>> exported) {
    return new ServerBuilder<>(Accounts.class, new AccountsImpl(), 8, 0, Duration.ofSeconds(10), false, null,
        List.of(CLIENT_WIDE), true, settings -> {
          exported.set(settings);
          return null;
        });
  }

  @Test
  void unsetSettingsAreTheClients() {
    RpcClient client = RpcClient.builder().workers(3).prefetch(12).shutdownGrace(Duration.ofSeconds(4))
        .quorumQueues(true).deadLetterExchange("dlx").serverInterceptor(CLIENT_WIDE).build();
    try {
      ServerBuilder<Accounts> server = client.server(Accounts.class, new AccountsImpl());
      assertEquals(3, server.workers());
      assertEquals(12, server.prefetch());
      assertEquals(Duration.ofSeconds(4), server.shutdownGrace());
      assertEquals(new QueueSettings(true, "dlx"), server.queueSettings());
      assertEquals(List.of(CLIENT_WIDE), server.interceptors());
      assertNull(server.queueName(), "the service's own queue");
      assertNull(server.servedShards(), "every shard");
      assertTrue(server.describable(), "describable by default");
    } finally {
      client.close();
    }
    RpcClient silent = RpcClient.builder().describable(false).build();
    try {
      assertFalse(silent.server(Accounts.class, new AccountsImpl()).describable(), "the client's default");
      assertTrue(silent.server(Accounts.class, new AccountsImpl()).describable(true).describable(), "the server's own");
    } finally {
      silent.close();
    }
  }

  @Test
  void aClientWithoutPrefetchLeavesItAdaptive() {
    RpcClient client = RpcClient.builder().workers(5).build();
    try {
      ServerBuilder<Accounts> server = client.server(Accounts.class, new AccountsImpl());
      assertEquals(0, server.prefetch(), "0: adaptive, starting at the workers' count");
      assertEquals(7, server.prefetch(7).prefetch());
    } finally {
      client.close();
    }
  }

  @Test
  void settingsSetHereWinAndInterceptorsRunAfterTheClients() {
    AtomicReference<ServerBuilder<?>> exported = new AtomicReference<>();
    ServerBuilder<Accounts> server = builder(exported).workers(2).prefetch(40).shutdownGrace(Duration.ZERO)
        .quorumQueues(true).deadLetterExchange("dead").serverInterceptor(THIS_SERVER).queue("accounts-eu")
        .shards(3, 1);
    server.export();
    assertSame(server, exported.get());
    assertEquals(2, server.workers());
    assertEquals(40, server.prefetch());
    assertEquals(Duration.ZERO, server.shutdownGrace());
    assertEquals(new QueueSettings(true, "dead"), server.queueSettings());
    assertEquals(Map.of("x-queue-type", "quorum", "x-dead-letter-exchange", "dead"), server.queueSettings().arguments());
    assertEquals(List.of(CLIENT_WIDE, THIS_SERVER), server.interceptors());
    assertEquals("accounts-eu", server.queueName());
    assertArrayEquals(new int[] {3, 1}, server.servedShards());
  }

  @Test
  void theShardsGivenAreCopied() {
    int[] shards = {0, 1};
    ServerBuilder<Accounts> server = builder(new AtomicReference<>()).shards(shards);
    shards[0] = 3;
    assertArrayEquals(new int[] {0, 1}, server.servedShards());
  }

  @Test
  void settingsOutOfRangeAreRefusedAtOnce() {
    ServerBuilder<Accounts> server = builder(new AtomicReference<>());
    assertThrows(IllegalArgumentException.class, () -> server.workers(0));
    assertThrows(IllegalArgumentException.class, () -> server.prefetch(0));
    assertThrows(IllegalArgumentException.class, () -> server.prefetch(65_536));
    assertThrows(IllegalArgumentException.class, () -> server.shutdownGrace(Duration.ofMillis(-1)));
    assertThrows(NullPointerException.class, () -> server.queue(null));
    assertThrows(NullPointerException.class, () -> server.deadLetterExchange(null));
    assertThrows(NullPointerException.class, () -> server.serverInterceptor(null));
    assertThrows(NullPointerException.class, () -> server.shards((int[]) null));
    assertEquals(8, server.workers(), "a refused setting leaves the one before");
  }

  @Test
  void shardsTheServiceDoesNotHaveAreRefusedBeforeTheBrokerIsReached() {
    // A client on a port nothing listens on: the shards are checked before any connection.
    RpcClient client = RpcClient.builder().uri("amqp://guest:guest@127.0.0.1:1").build();
    try {
      String message = assertThrows(IllegalArgumentException.class,
          () -> client.server(Accounts.class, new AccountsImpl()).shards(0, 4).export()).getMessage();
      assertTrue(message.contains("has 4 shards (0 to 3), not shard 4"), message);
      assertTrue(assertThrows(IllegalArgumentException.class,
          () -> client.server(Accounts.class, new AccountsImpl()).shards(1, 1).export()).getMessage()
          .contains("shard 1 is given twice"));
      assertTrue(assertThrows(IllegalArgumentException.class,
          () -> client.server(Accounts.class, new AccountsImpl()).shards().export()).getMessage()
          .contains("give at least one shard"));
    } finally {
      client.close();
    }
  }
}
