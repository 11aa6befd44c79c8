package dev.rabbitrpc.test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The real probes the broker choice uses. */
class SystemProbesTest {
  private final SharedBroker.SystemProbes probes = new SharedBroker.SystemProbes();

  @Test
  void aListeningPortIsReachable() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertTrue(probes.reachable("127.0.0.1", server.getLocalPort()));
    }
  }

  @Test
  void aClosedPortIsNotReachable() throws Exception {
    int port;
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = server.getLocalPort();
    }
    assertFalse(probes.reachable("127.0.0.1", port));
  }

  @Test
  void withoutDockerTheTestcontainersBranchIsRuledOutWithAReason() {
    assumeFalse(System.getenv("DOCKER_HOST") != null || Files.exists(Path.of("/var/run/docker.sock")),
        "this machine has Docker");
    Optional<String> reason = probes.dockerUnavailable();
    assertTrue(reason.isPresent() && !reason.get().isBlank(), "no reason given: " + reason);
  }
}
