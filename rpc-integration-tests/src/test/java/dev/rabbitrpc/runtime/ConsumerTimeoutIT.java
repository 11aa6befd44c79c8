package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.Timeout;
import dev.rabbitrpc.test.RequiresRabbitMq;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A handler that runs longer than the broker's consumer timeout, made for real, on a quorum queue:
 * the node under test gets a consumer timeout of 2 s for the test (RabbitMQ 3.x: {@code
 * application:set_env} of {@code consumer_timeout} and {@code channel_tick_interval}, read by each
 * channel the broker opens after it; RabbitMQ 4.x: a {@code consumer-timeout} policy on the test's
 * queue; restored after), shorter than the method's 60 s timeout. RabbitMQ 3.x closes the
 * server's intake channel, 4.3 cancels its consumer; the request comes back redelivered and, not being
 * idempotent, is answered {@code UNAVAILABLE} ("may or may not have run") — typed, long before the
 * caller's deadline — and is never run twice. On 3.x the server learns the broker's timeout from the
 * refusal and logs which methods may run longer and what to raise. A server whose methods may run
 * longer than RabbitMQ's default consumer timeout asks for a longer one where the broker takes it.
 */
@RpcBrokerTest
@RequiresRabbitMq("RabbitMQ's consumer timeout; rabbitmqctl sets it")
class ConsumerTimeoutIT {
  private static final long BROKER_TIMEOUT_MILLIS = 2_000;
  private static final long HANDLER_MILLIS = 8_000;

  interface Slow {
    /** Not idempotent: never run twice. The handler takes {@code millis}. */
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    String work(String id, long millis);
  }

  /** The same, for a handler allowed more than RabbitMQ's default consumer timeout of 30 min. */
  interface VerySlow {
    @Timeout(value = 31, unit = TimeUnit.MINUTES)
    String work(String id, long millis);
  }

  static final class SlowImpl implements Slow, VerySlow {
    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    final AtomicInteger done = new AtomicInteger();

    @Override public String work(String id, long millis) {
      runs.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
      try {
        Thread.sleep(millis); // the handler's own work, longer than the broker's consumer timeout
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        done.incrementAndGet();
      }
      return id;
    }
  }

  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("consumer-timeout");
  private String restore;
  private String restoreTick;
  /** The consumer-timeout policy of the test's queue (RabbitMQ 4.x), or null. */
  private String policy;

  ConsumerTimeoutIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @BeforeEach
  void shortConsumerTimeout() throws Exception {
    restore = Rabbitmqctl.eval("application:get_env(rabbit, consumer_timeout).");
    restoreTick = Rabbitmqctl.eval("application:get_env(rabbit, channel_tick_interval).");
    // RabbitMQ 3.x: the node's consumer_timeout, read by each channel opened after it, and checked
    // on the channel's tick, every 60 s by default: every second here.
    Rabbitmqctl.eval("application:set_env(rabbit, consumer_timeout, " + BROKER_TIMEOUT_MILLIS + ").");
    Rabbitmqctl.eval("application:set_env(rabbit, channel_tick_interval, 1000).");
    // RabbitMQ 4.3 times out consumers of quorum queues only (classic queues have no consumer timeout
    // any more), by the queue's consumer-timeout policy or argument, and cancels the consumer.
    String version = String.valueOf(broker.rawConnection().getServerProperties().get("version"));
    if (!version.startsWith("3.")) {
      policy = "rabbit-rpc-test-" + queue;
      Rabbitmqctl.run("set_policy", policy, "^" + java.util.regex.Pattern.quote(queue) + "$",
          "{\"consumer-timeout\":" + BROKER_TIMEOUT_MILLIS + "}", "--apply-to", "quorum_queues");
    }
  }

  @AfterEach
  void restoreConsumerTimeout() throws Exception {
    restoreEnv("consumer_timeout", restore);
    restoreEnv("channel_tick_interval", restoreTick);
    if (policy != null) {
      Rabbitmqctl.run("clear_policy", policy);
    }
    broker.deleteQueue(queue);
  }

  /** Sets an application setting of the node back to {@code before} ({@code {ok,N}}, or undefined). */
  private static void restoreEnv(String key, String before) throws Exception {
    String value = before == null ? "" : before.replaceAll("[^0-9]", "");
    Rabbitmqctl.eval(value.isEmpty() ? "application:unset_env(rabbit, " + key + ")."
        : "application:set_env(rabbit, " + key + ", " + value + ").");
  }

  @Test
  void aHandlerLongerThanTheBrokersConsumerTimeoutIsAnsweredTypedAndNeverRunTwice() throws Exception {
    SlowImpl implementation = new SlowImpl();
    RpcClient servers = broker.client(b -> b.workers(2).quorumQueues(true));
    servers.export(Slow.class, implementation, queue);
    Slow slow = broker.client().proxy(Slow.class, queue);

    long start = System.nanoTime();
    RpcException first = assertThrows(RpcException.class, () -> slow.work("first", HANDLER_MILLIS),
        "the broker's consumer timeout ends the delivery before the handler's 8 s");
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Code.UNAVAILABLE, first.code(), first.getMessage());
    assertTrue(first.getMessage().contains("may or may not have run"), first.getMessage());
    assertTrue(millis < 45_000, "typed long before the 60 s deadline: " + millis + " ms");
    assertEquals(1, implementation.runs.get("first").get(), "run once, not again on its redelivery");

    TestBroker.await(Duration.ofSeconds(20), "the first handler to finish", () -> implementation.done.get() == 1);
    assertEquals(1, implementation.runs.get("first").get(), "run once, not again on its redelivery");
    assertEquals("quick", slow.work("quick", 0), "the server keeps serving");
  }

  /**
   * A method allowed 31 min on a quorum queue: its server's consumer asks for a consumer timeout
   * longer than that ({@code x-consumer-timeout}, which RabbitMQ 4.x takes on quorum queues), so its
   * 8 s handler gets its value although the node's own timeout is 2 s. Where the broker takes no
   * per-consumer value (RabbitMQ 3.11 and older) there is nothing to show.
   */
  @Test
  void aServerWhoseMethodsOutlastTheDefaultAsksForALongerConsumerTimeout() throws Exception {
    SlowImpl implementation = new SlowImpl();
    RpcClient servers = broker.client(b -> b.workers(2).quorumQueues(true));
    servers.export(VerySlow.class, implementation, queue);
    org.junit.jupiter.api.Assumptions.assumeTrue(ConsumerTimeout.perConsumer(servers.transport().brokerVersion()),
        "RabbitMQ " + servers.transport().brokerVersion() + " takes no per-consumer timeout (3.12 and later do)");
    VerySlow slow = broker.client(b -> b.timeout(Duration.ofSeconds(60))).proxy(VerySlow.class, queue);

    assertEquals("long", slow.work("long", HANDLER_MILLIS), "the value, 8 s in, with a 2 s broker timeout");
    assertEquals(1, implementation.runs.get("long").get(), "run once");
  }
}
