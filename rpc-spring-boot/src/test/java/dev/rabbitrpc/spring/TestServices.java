package dev.rabbitrpc.spring;

import dev.rabbitrpc.api.RpcService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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
}
