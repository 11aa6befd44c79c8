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
 * hang up without a word of AMQP, the client's one connection attempt knocks on them first to last.
 */
class AddressOrderTest {
  private static final int BROKERS = 4;
  private final List<ServerSocket> hangingUp = new ArrayList<>();
  /** The index of each port, in the order the client connected to them. */
  private final List<Integer> knocks = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws IOException {
    for (ServerSocket socket : hangingUp) {
      socket.close();
    }
  }

  @Test
  void triesTheAddressesInTheOrderListed() throws Exception {
    String[] addresses = new String[BROKERS];
    for (int i = 0; i < BROKERS; i++) {
      ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      hangingUp.add(socket);
      addresses[i] = "127.0.0.1:" + socket.getLocalPort();
      int index = i;
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            Socket knock = socket.accept();
            knocks.add(index); // recorded before the close that lets the client move on: no race
            knock.close();
          }
        } catch (IOException closed) {
          // the test is over
        }
      }, "hanging-up-acceptor-" + i);
      acceptor.setDaemon(true);
      acceptor.start();
    }
    ConnectionFactory factory = RpcClient.Builder.factoryFor("amqp://guest:guest@127.0.0.1:1");
    // Each port closes what it accepts, and only that moves the attempt on to the next address:
    // the handshake timeout is far longer than any thread's delay, so the order is causal.
    factory.setHandshakeTimeout(20_000);
    try (RpcClient client = RpcClient.builder().connectionFactory(factory).addresses(addresses)
        .timeout(Duration.ofSeconds(20)).build()) {
      assertThrows(RpcException.class, () -> client.proxy(Types.class).add(1, 2)); // every port hangs up
    }
    assertEquals(List.of(0, 1, 2, 3), List.copyOf(knocks));
  }
}
