package dev.rabbitrpc.spring;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The Spring Boot contract on the real RabbitMQ at 127.0.0.1:5672 (guest/guest). */
@SpringBootTest(classes = SpringBootContract.GreeterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.NONE)
@DirtiesContext
class SpringBootOnRabbitMqIT extends SpringBootContract {
  private static final String HOST = "127.0.0.1";
  private static final int PORT = 5672;

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
}
