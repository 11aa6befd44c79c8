package dev.rabbitrpc.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.micrometer.MdcServerInterceptor;
import dev.rabbitrpc.runtime.ClientInterceptor;
import dev.rabbitrpc.runtime.RpcClient;
import dev.rabbitrpc.runtime.ServerCall;
import dev.rabbitrpc.runtime.ServerInterceptor;
import dev.rabbitrpc.spring.TestServices.FriendlyGreeter;
import dev.rabbitrpc.spring.TestServices.Greeter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * A Spring Boot application with Actuator's real ObservationRegistry and SimpleMeterRegistry, on the
 * real RabbitMQ ({@link RabbitMqBroker}): it exports a service, calls it through the injected proxy,
 * and the timers of both sides, the meters, and an authentication-style pair of interceptor beans
 * show what happened. One context for the class, on a queue of its own.
 */
class SpringBootObservationIT {
  private static final String QUEUE = "spring-test-observed-" + UUID.randomUUID();
  private static final String TOKEN = "Bearer test-token";
  private static ConfigurableApplicationContext app;

  @BeforeAll
  static void start() {
    app = new SpringApplicationBuilder(ObservedApplication.class)
        .web(WebApplicationType.NONE)
        .properties("spring.rabbitmq.host=" + RabbitMqBroker.HOST, "spring.rabbitmq.port=" + RabbitMqBroker.PORT,
            "rabbit-rpc.queues.spring-test-greeter=" + QUEUE, "rabbit-rpc.timeout=10s",
            "rabbit-rpc.shutdown-grace=2s")
        .run();
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close(); // the export stops first, or it would declare its queue again
      SpringBootContract.deleteQueues(RabbitMqBroker.HOST, RabbitMqBroker.PORT, QUEUE);
    }
  }

  private static MeterRegistry meters() {
    return app.getBean(MeterRegistry.class);
  }

  private static Tags keys(String method, String status, String errorType) {
    return Tags.of("rpc.system.name", "rabbit_rpc", "rpc.method", Greeter.class.getName() + "/" + method,
        "rpc.status_code", status, "error.type", errorType, "messaging.system", "rabbitmq",
        "messaging.destination.name", QUEUE);
  }

  @Test
  void theContextsRegistriesAreMicrometersRealOnes() {
    assertInstanceOf(SimpleMeterRegistry.class, meters());
    assertFalse(app.getBean(ObservationRegistry.class).isNoop(), "Boot's registry has handlers");
  }

  @Test
  void timesAnOkAndADeclaredFailureOnClientAndServerWithTheirKeys() {
    Greeter greeter = app.getBean(Greeter.class);
    assertEquals("Hello, Ada", greeter.greet("Ada"));
    UnknownNameException thrown = assertThrows(UnknownNameException.class, () -> greeter.formal(""));
    assertEquals("no name", thrown.getMessage());

    for (String side : List.of("rabbit.rpc.client", "rabbit.rpc.server")) {
      assertEquals(1, meters().get(side).tags(keys("greet", "OK", "none")).timer().count(), side);
      assertEquals(1, meters().get(side)
          .tags(keys("formal", "APPLICATION_ERROR", UnknownNameException.class.getName())).timer().count(), side);
    }
    // The client interceptor bean's header reached the server's interceptor bean, which ran inside the MDC.
    List<String> seen = app.getBean(AuthCheck.class).seen;
    assertTrue(seen.contains(TOKEN + " " + Greeter.class.getName() + "/greet"), seen.toString());
    assertTrue(seen.contains(TOKEN + " " + Greeter.class.getName() + "/formal"), seen.toString());
  }

  @Test
  void aRequestWithoutTheHeaderIsRefusedUnauthenticatedAndTheServerTimesTheRefusal() {
    try (RpcClient stranger = RpcClient.builder()
        .uri("amqp://guest:guest@" + RabbitMqBroker.HOST + ":" + RabbitMqBroker.PORT).build()) {
      Greeter greeter = stranger.proxy(Greeter.class, QUEUE);
      RpcException refused = assertThrows(RpcException.class, () -> greeter.greet("Eve"));
      assertEquals(Code.UNAUTHENTICATED, refused.code());
    }
    assertEquals(1, meters().get("rabbit.rpc.server")
        .tags(keys("greet", "UNAUTHENTICATED", "UNAUTHENTICATED")).timer().count());
    assertTrue(app.getBean(AuthCheck.class).seen.contains("null " + Greeter.class.getName() + "/greet"));
  }

  @Test
  void bindsTheClientsAndTheExportsOwnCountsAndTheInFlightGauges() throws UnknownNameException {
    Greeter greeter = app.getBean(Greeter.class);
    // formal, OK: a key set no other test of the class counts.
    assertEquals("Good day, Lin", greeter.formal("Lin").text());
    assertEquals(0, meters().get("rabbit.rpc.client.pending").gauge().value());
    assertEquals(0, meters().get("rabbit.rpc.client.replies.dropped").functionCounter().count());
    assertEquals(0, meters().get("rabbit.rpc.server.requests.expired").tag("messaging.destination.name", QUEUE)
        .functionCounter().count());
    assertEquals(0, meters().get("rabbit.rpc.server.requests.cancelled").tag("messaging.destination.name", QUEUE)
        .functionCounter().count());
    String formal = Greeter.class.getName() + "/formal";
    assertEquals(0, meters().get("rabbit.rpc.client.in_flight").tag("rpc.method", formal).gauge().value());
    assertEquals(0, meters().get("rabbit.rpc.server.in_flight").tag("rpc.method", formal).gauge().value());
  }

  /** Refuses requests without the token; records each request's header and the MDC's method as it saw them. */
  static final class AuthCheck implements ServerInterceptor {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public CompletionStage<Object> intercept(ServerCall call, Chain chain) {
      String authorization = call.headers().get("authorization");
      seen.add(authorization + " " + MDC.get(MdcServerInterceptor.METHOD));
      if (!TOKEN.equals(authorization)) {
        throw new RpcException(Code.UNAUTHENTICATED, "no valid authorization header");
      }
      return chain.proceed(call);
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  @ImportRpcClients(types = Greeter.class)
  @Import(FriendlyGreeter.class)
  static class ObservedApplication {
    @Bean
    ClientInterceptor authorization() {
      return (call, chain) -> chain.proceed(call.withHeader("authorization", TOKEN));
    }

    @Bean
    AuthCheck authCheck() {
      return new AuthCheck();
    }
  }
}
