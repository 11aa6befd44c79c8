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

  private final ServerCall request = new ServerCall(types, types.forWireName("add"), new Object[] {1, 2}, Map.of(),
      "id-1", null, Map.of());

  @Test
  void replyHeadersAreCopiedNotSharedAndProtocolNamesAreRefused() {
    ServerCall tagged = request.withReplyHeader("served-by", "s1");
    assertEquals(Map.of(), request.replyHeaders());
    assertEquals(Map.of("served-by", "s1"), tagged.replyHeaders());
    assertThrows(UnsupportedOperationException.class, () -> tagged.replyHeaders().put("x", "y"));
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> request.withReplyHeader("RPC-Status", "OK"));
    assertEquals("header names starting with \"rpc-\" belong to the protocol: RPC-Status", refused.getMessage());
    assertThrows(IllegalArgumentException.class, () -> request.withReplyHeader("served-by", null));
  }

  @Test
  void aServerChainRemembersTheLastCallPassedOnEvenWhenAnInnerInterceptorAnswersItself() {
    ServerInterceptor outer = (c, chain) -> chain.proceed(c.withReplyHeader("served-by", "s1"));
    ServerInterceptor refusing = (c, chain) -> {
      c.withReplyHeader("never-passed-on", "x");
      throw new RpcException(Code.UNAUTHENTICATED, "no");
    };
    Chains.Server chain = new Chains.Server(List.of(outer, refusing), c -> CompletableFuture.completedFuture(3));
    CompletableFuture<Object> outcome = chain.proceed(request).toCompletableFuture();

    assertTrue(outcome.isCompletedExceptionally());
    assertEquals(Map.of("served-by", "s1"), chain.lastCall().replyHeaders());
  }

  @Test
  void theDispatcherHandsTheReplyHeadersToTheSinkAndNothingWithoutThem() throws Exception {
    ServerInterceptor tagging = (c, chain) -> chain.proceed(c.withReplyHeader("served-by", "s1"));
    assertEquals(Map.of("served-by", "s1"), replyHeadersOf(List.of(tagging)));
    assertEquals(null, replyHeadersOf(List.of((c, chain) -> chain.proceed(c))), "the two-argument reply");
    assertEquals(null, replyHeadersOf(List.of()), "the two-argument reply");
  }

  /** The reply headers the sink got for {@code add(1, 2)} through {@code interceptors}; null if it got the reply without. */
  private Map<String, String> replyHeadersOf(List<ServerInterceptor> interceptors) throws Exception {
    Dispatcher dispatcher = new Dispatcher(types, new TestServices.TypesImpl(), Codec.json(), 1024, interceptors);
    CompletableFuture<Map<String, String>> replied = new CompletableFuture<>();
    dispatcher.dispatch(WireFormat.JSON.contentType, Map.of("rpc-protocol", 1),
        "{\"method\":\"add\",\"args\":[1,2]}".getBytes(java.nio.charset.StandardCharsets.UTF_8), false, "id-1",
        new ReplySink() {
          @Override
          public void reply(String status, byte[] body) {
            assertEquals("OK", status);
            replied.complete(null);
          }

          @Override
          public void reply(String status, byte[] body, Map<String, String> replyHeaders) {
            assertEquals("OK", status);
            replied.complete(replyHeaders);
          }
        });
    return replied.get(10, TimeUnit.SECONDS);
  }

  @Test
  void anAttemptsReplyHeadersAreSharedByEveryCopyOfItsCall() {
    ClientCall tagged = call.withHeader("tenant", "acme");
    assertEquals(Map.of(), tagged.replyHeaders());
    call.reply.headers = Map.of("served-by", "s1");
    assertEquals(Map.of("served-by", "s1"), tagged.replyHeaders());
    assertEquals(Map.of(), new ClientCall(types, types.forWireName("add"), new Object[] {1, 2},
        Deadline.after(1, TimeUnit.SECONDS), 2, "id-2", Map.of()).replyHeaders(), "another attempt has its own");
  }
}
