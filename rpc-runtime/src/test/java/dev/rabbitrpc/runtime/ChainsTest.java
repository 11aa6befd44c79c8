package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.TestServices.Types;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The chains themselves: a link never throws, whatever an interceptor does. */
class ChainsTest {
  private final ServiceDescriptor types = ServiceDescriptor.parse(Types.class, Codec.json(), Duration.ofSeconds(1));
  private final ClientCall call = new ClientCall(types, types.forWireName("add"), new Object[] {1, 2},
      Deadline.after(1, TimeUnit.SECONDS), 1, "id-1", Map.of());

  @Test
  void anInterceptorThatThrowsFailsTheStageInsteadOfThrowing() {
    ClientInterceptor throwing = (c, chain) -> {
      throw new IllegalStateException("boom");
    };
    CompletableFuture<Object> outcome = new Chains.Client(List.of(throwing), 0, c -> CompletableFuture.completedFuture(3))
        .proceed(call).toCompletableFuture();
    ExecutionException failure = assertThrows(ExecutionException.class, () -> outcome.get(1, TimeUnit.SECONDS));
    assertEquals("boom", failure.getCause().getMessage());
  }

  @Test
  void anInterceptorThatReturnsNullFailsTheCallWithInternal() {
    ClientInterceptor careless = (c, chain) -> null;
    CompletableFuture<Object> outcome = new Chains.Client(List.of(careless), 0, c -> CompletableFuture.completedFuture(3))
        .proceed(call).toCompletableFuture();
    ExecutionException failure = assertThrows(ExecutionException.class, () -> outcome.get(1, TimeUnit.SECONDS));
    RpcException cause = assertInstanceOf(RpcException.class, failure.getCause());
    assertEquals(Code.INTERNAL, cause.code());
    assertTrue(cause.getMessage().contains("returned null"), cause.getMessage());
  }

  @Test
  void headersAreCopiedNotShared() {
    ClientCall tagged = call.withHeader("tenant", "acme");
    assertEquals(Map.of(), call.headers());
    assertEquals(Map.of("tenant", "acme"), tagged.headers());
    assertThrows(UnsupportedOperationException.class, () -> tagged.headers().put("x", "y"));
    assertThrows(IllegalArgumentException.class, () -> call.withHeader("RPC-Status", "OK"));
    assertThrows(IllegalArgumentException.class, () -> call.withHeader("tenant", null));
  }

  @Test
  void applicationHeadersOfARequestLeaveOutTheProtocolsAndNonStrings() {
    Map<String, String> headers = ApplicationHeaders.of(Map.of("rpc-deadline", 5L, "tenant",
        com.rabbitmq.client.impl.LongStringHelper.asLongString("acme"), "count", 3));
    assertEquals(Map.of("tenant", "acme"), headers);
  }
}
