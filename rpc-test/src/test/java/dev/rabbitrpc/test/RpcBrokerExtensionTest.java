package dev.rabbitrpc.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import com.rabbitmq.client.Channel;
import dev.rabbitrpc.runtime.RpcClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * What {@link RpcBrokerTest} does for a test class, checked by running sample classes (nested
 * here, so that they run only through these tests) on their own JUnit engine.
 */
class RpcBrokerExtensionTest {
  /** A service for the samples. */
  interface Echo {
    String echo(String text);

    CompletableFuture<String> echoLater(String text);
  }

  static final class EchoImpl implements Echo {
    @Override
    public String echo(String text) {
      return text;
    }

    @Override
    public CompletableFuture<String> echoLater(String text) {
      return CompletableFuture.completedFuture(text);
    }
  }

  @RpcBrokerTest
  static class RoundTripSample {
    private RpcClient fromBeforeEach;
    private String queue;

    @BeforeEach
    void exportEcho(RpcClient client, RpcBroker broker) {
      fromBeforeEach = client;
      queue = broker.uniqueQueue("echo");
      client.export(Echo.class, new EchoImpl(), queue);
    }

    @Test
    void callsTheServiceExportedInBeforeEachWithTheSameClient(RpcClient client, RpcBroker broker) {
      assertSame(fromBeforeEach, client);
      assertSame(broker.client(), client);
      assertEquals("hi", client.proxy(Echo.class, queue).echo("hi"));
    }
  }

  @RpcBrokerTest
  static class PendingCallSample {
    @Test
    void leavesAnAsyncCallUnanswered(RpcClient client, RpcBroker broker) throws Exception {
      String queue = broker.uniqueQueue("silent");
      // A consumer that takes requests and never answers.
      Channel silent = broker.newConnection().createChannel();
      silent.queueDeclare(queue, true, false, false, null);
      silent.basicConsume(queue, true, (tag, delivery) -> { }, tag -> { });
      client.proxy(Echo.class, queue).echoLater("anyone?");
    }
  }

  @RpcBrokerTest
  static class RabbitOnlySample {
    @Test
    @RequiresRabbitMq("direct reply-to")
    void needsRabbitMq() {}

    @Test
    void runsAnywhere(RpcClient client) {
      assertEquals(0, client.stats().pendingCalls());
    }
  }

  @RpcBrokerTest
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  static class QueueCleanupSample {
    static String queue;

    @Test
    @Order(1)
    void servesOnAUniqueQueue(RpcClient client, RpcBroker broker) {
      queue = broker.uniqueQueue("cleanup");
      client.export(Echo.class, new EchoImpl(), queue);
      assertEquals("x", client.proxy(Echo.class, queue).echo("x"));
    }

    @Test
    @Order(2)
    void findsThatQueueGone(RpcBroker broker) throws Exception {
      Channel channel = broker.newConnection().createChannel();
      IOException e = assertThrows(IOException.class, () -> channel.queueDeclarePassive(queue));
      assertTrue(String.valueOf(e.getCause()).contains("404"), String.valueOf(e.getCause()));
    }
  }

  @RpcBrokerTest
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  static class ConstructorSample {
    static RpcBroker first;
    private final RpcBroker broker;

    ConstructorSample(RpcBroker broker) {
      this.broker = broker;
    }

    @Test
    @Order(1)
    void getsAHandleForThisTest() {
      first = broker;
      assertEquals("x", callEcho(broker));
    }

    @Test
    @Order(2)
    void getsAFreshHandleWhileTheFirstTestsIsClosed() {
      assertTrue(first != broker);
      assertThrows(IllegalStateException.class, first::newClient);
      assertEquals("x", callEcho(broker));
    }

    private static String callEcho(RpcBroker broker) {
      String queue = broker.uniqueQueue("ctor");
      broker.newClient().export(Echo.class, new EchoImpl(), queue);
      return broker.newClient().proxy(Echo.class, queue).echo("x");
    }
  }

  private static EngineExecutionResults run(Class<?> sample, String mode) {
    return EngineTestKit.engine("junit-jupiter")
        .configurationParameter(BrokerChoice.MODE_PROPERTY, mode)
        .selectors(selectClass(sample))
        .execute();
  }

  private static String describe(Events events) {
    return events.stream().map(Event::toString).collect(Collectors.joining("\n"));
  }

  private static List<Throwable> failures(Events events) {
    return events.failed().stream()
        .map(event -> event.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable).orElseThrow())
        .collect(Collectors.toList());
  }

  private static List<String> skipReasons(Events events) {
    return events.skipped().stream().map(event -> event.getPayload(String.class).orElse("")).collect(Collectors.toList());
  }

  @Test
  void injectsOneReadyClientIntoBeforeEachAndTheTest() {
    Events tests = run(RoundTripSample.class, "embedded").testEvents();
    assertEquals(1, tests.succeeded().count(), describe(tests) + failures(tests));
  }

  @Test
  void failsATestThatLeavesACallPending() {
    Events tests = run(PendingCallSample.class, "embedded").testEvents();
    List<Throwable> failures = failures(tests);
    assertEquals(1, failures.size(), describe(tests));
    assertTrue(failures.get(0).getMessage().startsWith("calls left pending after the test: 1 in RpcClient["),
        failures.get(0).getMessage());
  }

  @Test
  void skipsRabbitMqOnlyTestsOnTheEmbeddedBrokerAndSaysWhy() {
    Events tests = run(RabbitOnlySample.class, "embedded").testEvents();
    assertEquals(1, tests.succeeded().count(), describe(tests));
    List<String> reasons = skipReasons(tests);
    assertEquals(1, reasons.size(), describe(tests));
    assertTrue(reasons.get(0).startsWith("requires RabbitMQ (direct reply-to); the test broker is Apache Qpid Broker-J"),
        reasons.get(0));
  }

  @Test
  void runsRabbitMqOnlyTestsOnRabbitMq() {
    assumeTrue(new SharedBroker.SystemProbes().reachable(BrokerChoice.LOCAL_HOST, BrokerChoice.LOCAL_PORT)
        || System.getenv(BrokerChoice.URI_ENV) != null, "no RabbitMQ here");
    Events tests = run(RabbitOnlySample.class, "rabbitmq").testEvents();
    assertEquals(2, tests.succeeded().count(), describe(tests));
  }

  @Test
  void deletesTheTestsUniqueQueuesAfterIt() {
    Events tests = run(QueueCleanupSample.class, "embedded").testEvents();
    assertEquals(2, tests.succeeded().count(), describe(tests) + failures(tests));
  }

  @Test
  void givesConstructorsAHandlePerTestClosedAfterIt() {
    Events tests = run(ConstructorSample.class, "embedded").testEvents();
    assertEquals(2, tests.succeeded().count(), describe(tests) + failures(tests));
  }

  @Test
  void testcontainersModeSkipsTheClassWithDockersReasonWhenThereIsNoDocker() {
    assumeFalse(System.getenv("DOCKER_HOST") != null || Files.exists(Path.of("/var/run/docker.sock")),
        "this machine has Docker");
    EngineExecutionResults results = run(RoundTripSample.class, "testcontainers");
    assertEquals(0, results.testEvents().started().count(), describe(results.testEvents()));
    List<String> reasons = skipReasons(results.containerEvents());
    assertEquals(1, reasons.size(), describe(results.containerEvents()));
    assertTrue(reasons.get(0).startsWith("no broker for rabbit-rpc tests: rpc.test.broker=testcontainers but Docker is"
        + " not available: "), reasons.get(0));
  }

  @Test
  void anUnknownModeFailsTheClassNamingTheValidModes() {
    Events containers = run(RoundTripSample.class, "qpid").containerEvents();
    List<Throwable> failures = failures(containers);
    assertEquals(1, failures.size(), describe(containers));
    // JUnit wraps it in "Failed to evaluate condition [...]: <message>".
    assertTrue(failures.get(0).getMessage().endsWith(
        "rpc.test.broker must be auto, rabbitmq, testcontainers or embedded, got 'qpid'"), failures.get(0).getMessage());
  }
}
