package dev.rabbitrpc.spring;

import dev.rabbitrpc.broker.embedded.EmbeddedBroker;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The Spring Boot contract on the embedded broker (Qpid Broker-J in this JVM): no direct reply-to there. */
@SpringBootTest(classes = SpringBootContract.GreeterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.NONE)
@DirtiesContext
class SpringBootOnEmbeddedBrokerIT extends SpringBootContract {
  /** Started once per test JVM, in memory; it ends with the JVM. */
  private static final EmbeddedBroker BROKER = EmbeddedBroker.start();

  @DynamicPropertySource
  static void broker(DynamicPropertyRegistry registry) {
    brokerProperties(registry, "127.0.0.1", BROKER.port());
  }

  @Override
  String host() {
    return "127.0.0.1";
  }

  @Override
  int port() {
    return BROKER.port();
  }
}
