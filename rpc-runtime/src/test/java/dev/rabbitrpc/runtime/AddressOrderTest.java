package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.rabbitmq.client.ConnectionFactory;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.runtime.TestServices.Types;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code RpcClient.Builder.addresses(...)} are tried in the order listed (amqp-client would shuffle
 * them whenever automatic recovery is on, the default): against four ports that accept TCP and
 * never speak AMQP, the client's one connection attempt knocks on them first to last.
 */
class AddressOrderTest {
  private static final int BROKERS = 4;
  private final List<ServerSocket> silent = new ArrayList<>();
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();
  /** The index of each port, in the order the client connected to them. */
  private final List<Integer> knocks = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws IOException {
    for (ServerSocket socket : silent) {
      socket.close();
    }
    for (Socket socket : accepted) {
      socket.close();
    }
  }

  @Test
  void triesTheAddressesInTheOrderListed() throws Exception {
    String[] addresses = new String[BROKERS];
    for (int i = 0; i < BROKERS; i++) {
      ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      silent.add(socket);
      addresses[i] = "127.0.0.1:" + socket.getLocalPort();
      int index = i;
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            accepted.add(socket.accept()); // held open, never written to
            knocks.add(index);
          }
        } catch (IOException closed) {
          // the test is over
        }
      }, "silent-acceptor-" + i);
      acceptor.setDaemon(true);
      acceptor.start();
    }
    ConnectionFactory factory = RpcClient.Builder.factoryFor("amqp://guest:guest@127.0.0.1:1");
    factory.setHandshakeTimeout(200); // each silent port gives up fast, so the attempt moves on
    try (RpcClient client = RpcClient.builder().connectionFactory(factory).addresses(addresses)
        .timeout(Duration.ofSeconds(20)).build()) {
      assertThrows(RpcException.class, () -> client.proxy(Types.class).add(1, 2)); // every port is silent
    }
    assertEquals(List.of(0, 1, 2, 3), List.copyOf(knocks));
  }
}
