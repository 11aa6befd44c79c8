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
 * A handler that runs longer than the broker's consumer timeout, made for real: the node under
 * test gets a consumer timeout of 2 s for the test, checked every second ({@code application:set_env}
 * of {@code consumer_timeout} and {@code channel_tick_interval}, read by each channel the broker
 * opens after it; restored after), shorter than the method's 60 s timeout.
 * RabbitMQ closes the server's intake channel; the request comes back redelivered and, not being
 * idempotent, is answered {@code UNAVAILABLE} ("may or may not have run") — typed, long before the
 * caller's deadline — and is never run twice. The server learns the broker's timeout from the
 * refusal: on RabbitMQ 3.12 and later it consumes again with {@code x-consumer-timeout} covering its
 * methods, so the next such call gets its value; on older brokers, which take no per-consumer value,
 * the next one fails the same typed way (and the server logs which methods and what to raise).
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

  static final class SlowImpl implements Slow {
    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

    @Override public String work(String id, long millis) {
      runs.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
      try {
        Thread.sleep(millis); // the handler's own work, longer than the broker's consumer timeout
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return id;
    }
  }

  private final TestBroker broker;
  private final String queue = TestBroker.uniqueQueue("consumer-timeout");
  private String restore;
  private String restoreTick;

  ConsumerTimeoutIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  @BeforeEach
  void shortConsumerTimeout() throws Exception {
    restore = Rabbitmqctl.eval("application:get_env(rabbit, consumer_timeout).");
    restoreTick = Rabbitmqctl.eval("application:get_env(rabbit, channel_tick_interval).");
    Rabbitmqctl.eval("application:set_env(rabbit, consumer_timeout, " + BROKER_TIMEOUT_MILLIS + ").");
    // A channel checks its deliveries' age on its tick, every 60 s by default: every second here.
    Rabbitmqctl.eval("application:set_env(rabbit, channel_tick_interval, 1000).");
  }

  @AfterEach
  void restoreConsumerTimeout() throws Exception {
    restoreEnv("consumer_timeout", restore);
    restoreEnv("channel_tick_interval", restoreTick);
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
    RpcClient servers = broker.client(b -> b.workers(2));
    servers.export(Slow.class, implementation, queue);
    Slow slow = broker.client().proxy(Slow.class, queue);

    long start = System.nanoTime();
    RpcException first = assertThrows(RpcException.class, () -> slow.work("first", HANDLER_MILLIS));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Code.UNAVAILABLE, first.code(), first.getMessage());
    assertTrue(first.getMessage().contains("may or may not have run"), first.getMessage());
    assertTrue(millis < 45_000, "typed long before the 60 s deadline: " + millis + " ms");
    assertEquals(1, implementation.runs.get("first").get(), "run once, not again on its redelivery");

    if (ConsumerTimeout.perConsumer(brokerVersion(servers))) {
      assertEquals("second", slow.work("second", HANDLER_MILLIS),
          "the server consumes again with x-consumer-timeout covering the method's 60 s");
    } else {
      RpcException second = assertThrows(RpcException.class, () -> slow.work("second", HANDLER_MILLIS));
      assertEquals(Code.UNAVAILABLE, second.code(), "no per-consumer value on this broker: " + second.getMessage());
    }
    assertEquals(1, implementation.runs.get("second").get(), "run once");
    assertEquals("quick", slow.work("quick", 0), "the server keeps serving");
  }

  private static String brokerVersion(RpcClient client) {
    return client.transport().brokerVersion();
  }
}
