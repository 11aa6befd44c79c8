package dev.rabbitrpc.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.test.BrokerChoice.Kind;
import dev.rabbitrpc.test.BrokerChoice.Mode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The broker resolution order, every branch, with fake probes (Docker or not). */
class BrokerChoiceTest {
  private static final String DOCKER_MISSING = "no Docker socket";

  /** Probes with fixed answers that record what was asked. */
  private static final class FakeProbes implements BrokerChoice.Probes {
    final Map<String, String> env;
    final boolean localAnswers;
    final boolean docker;
    final List<String> asked = new ArrayList<>();

    FakeProbes(Map<String, String> env, boolean localAnswers, boolean docker) {
      this.env = env;
      this.localAnswers = localAnswers;
      this.docker = docker;
    }

    @Override
    public String env(String name) {
      asked.add("env " + name);
      return env.get(name);
    }

    @Override
    public boolean reachable(String host, int port) {
      asked.add("tcp " + host + ":" + port);
      return localAnswers;
    }

    @Override
    public Optional<String> dockerUnavailable() {
      asked.add("docker");
      return docker ? Optional.empty() : Optional.of(DOCKER_MISSING);
    }
  }

  private static final Map<String, String> URI_SET = Map.of("RPC_AMQP_URI", "amqp://u:p@broker.test:5672");

  @Test
  void autoTakesRpcAmqpUriFirstAndProbesNothingElse() {
    FakeProbes probes = new FakeProbes(URI_SET, true, true);
    BrokerChoice choice = BrokerChoice.decide(Mode.AUTO, probes);
    assertEquals(Kind.URI, choice.kind);
    assertEquals("amqp://u:p@broker.test:5672", choice.uri);
    assertEquals(List.of("env RPC_AMQP_URI"), probes.asked);
  }

  @Test
  void autoIgnoresABlankRpcAmqpUri() {
    FakeProbes probes = new FakeProbes(Map.of("RPC_AMQP_URI", "  "), true, false);
    assertEquals(Kind.LOCAL_RABBITMQ, BrokerChoice.decide(Mode.AUTO, probes).kind);
  }

  @Test
  void autoTakesTheLocalBrokerWhenItAnswersWithoutAskingDocker() {
    FakeProbes probes = new FakeProbes(Map.of(), true, true);
    BrokerChoice choice = BrokerChoice.decide(Mode.AUTO, probes);
    assertEquals(Kind.LOCAL_RABBITMQ, choice.kind);
    assertEquals("amqp://guest:guest@localhost:5672", choice.uri);
    assertEquals(List.of("env RPC_AMQP_URI", "tcp localhost:5672"), probes.asked);
  }

  @Test
  void autoStartsAContainerWhenNothingAnswersLocallyAndDockerIsAvailable() {
    FakeProbes probes = new FakeProbes(Map.of(), false, true);
    BrokerChoice choice = BrokerChoice.decide(Mode.AUTO, probes);
    assertEquals(Kind.CONTAINER, choice.kind);
    assertNull(choice.uri);
    assertEquals(List.of("env RPC_AMQP_URI", "tcp localhost:5672", "docker"), probes.asked);
  }

  @Test
  void autoFallsBackToTheEmbeddedBrokerWithoutDockerAndSaysWhy() {
    BrokerChoice choice = BrokerChoice.decide(Mode.AUTO, new FakeProbes(Map.of(), false, false));
    assertEquals(Kind.EMBEDDED, choice.kind);
    assertTrue(choice.reason.contains(DOCKER_MISSING), choice.reason);
    assertTrue(choice.reason.contains("localhost:5672"), choice.reason);
  }

  @Test
  void rabbitmqModeUsesTheSameOrderButFailsRatherThanFallBackToEmbedded() {
    assertEquals(Kind.URI, BrokerChoice.decide(Mode.RABBITMQ, new FakeProbes(URI_SET, false, false)).kind);
    assertEquals(Kind.LOCAL_RABBITMQ, BrokerChoice.decide(Mode.RABBITMQ, new FakeProbes(Map.of(), true, false)).kind);
    assertEquals(Kind.CONTAINER, BrokerChoice.decide(Mode.RABBITMQ, new FakeProbes(Map.of(), false, true)).kind);
    BrokerChoice none = BrokerChoice.decide(Mode.RABBITMQ, new FakeProbes(Map.of(), false, false));
    assertEquals(Kind.FAIL, none.kind);
    assertTrue(none.reason.contains("rpc.test.broker=rabbitmq") && none.reason.contains(DOCKER_MISSING), none.reason);
  }

  @Test
  void testcontainersModeAsksOnlyDockerAndUsesItEvenWhenALocalBrokerAnswers() {
    FakeProbes probes = new FakeProbes(URI_SET, true, true);
    assertEquals(Kind.CONTAINER, BrokerChoice.decide(Mode.TESTCONTAINERS, probes).kind);
    assertEquals(List.of("docker"), probes.asked);
  }

  @Test
  void testcontainersModeSkipsWithDockersReasonWhenDockerIsMissing() {
    BrokerChoice choice = BrokerChoice.decide(Mode.TESTCONTAINERS, new FakeProbes(Map.of(), true, false));
    assertEquals(Kind.SKIP, choice.kind);
    assertEquals("rpc.test.broker=testcontainers but Docker is not available: " + DOCKER_MISSING, choice.reason);
  }

  @Test
  void embeddedModeProbesNothing() {
    FakeProbes probes = new FakeProbes(URI_SET, true, true);
    assertEquals(Kind.EMBEDDED, BrokerChoice.decide(Mode.EMBEDDED, probes).kind);
    assertEquals(List.of(), probes.asked);
  }

  @Test
  void modeIsCaseInsensitiveAndDefaultsToAuto() {
    assertEquals(Mode.AUTO, Mode.parse(null));
    assertEquals(Mode.AUTO, Mode.parse(""));
    assertEquals(Mode.EMBEDDED, Mode.parse(" Embedded "));
    assertEquals(Mode.RABBITMQ, Mode.parse("rabbitmq"));
    assertEquals(Mode.TESTCONTAINERS, Mode.parse("TESTCONTAINERS"));
  }

  @Test
  void unknownModeIsRejectedWithTheValidValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mode.parse("qpid"));
    assertEquals("rpc.test.broker must be auto, rabbitmq, testcontainers or embedded, got 'qpid'", e.getMessage());
  }
}
