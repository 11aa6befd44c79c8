package dev.rabbitrpc.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The Spring Boot contract on the real RabbitMQ ({@link RabbitMqBroker}: {@code RPC_AMQP_URI}, else 127.0.0.1:5672). */
@SpringBootTest(classes = SpringBootContract.GreeterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.NONE)
@DirtiesContext
class SpringBootOnRabbitMqIT extends SpringBootContract {
  private static final String HOST = RabbitMqBroker.HOST;
  private static final int PORT = RabbitMqBroker.PORT;

  @DynamicPropertySource
  static void broker(DynamicPropertyRegistry registry) {
    brokerProperties(registry, HOST, PORT);
  }

  @Override
  String host() {
    return HOST;
  }

  @Override
  int port() {
    return PORT;
  }

  /**
   * RabbitMQ only for now: on the embedded broker, amqp-client's topology recovery of the server's
   * queue fails after such a cut ("channel is already closed") and calls get no reply afterwards.
   */
  @Test
  void healthIsDownWhileTheBrokerIsUnreachableAndUpOnceTheClientRecovered() throws Exception {
    awaitHealth(Status.UP);
    SOCKETS.refuse(true);
    try {
      SOCKETS.cutAll();
      awaitHealth(Status.DOWN);
      assertEquals(false, ((Map<?, ?>) health.health().getDetails().get("client")).get("connected"));
    } finally {
      SOCKETS.refuse(false);
    }
    awaitHealth(Status.UP);
    assertEquals("Hello, Ada", greeter.greet("Ada"));
  }
}
