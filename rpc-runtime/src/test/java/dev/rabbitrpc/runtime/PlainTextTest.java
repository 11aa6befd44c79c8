package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.runtime.ProtocolFixtures.Fibonacci;
import dev.rabbitrpc.runtime.ProtocolFixtures.FibonacciImpl;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The plain-text codec and the header checks of the dispatcher, without a broker. */
class PlainTextTest {
  @RpcService(plainText = true)
  interface Shout {
    String shout(String text);
  }

  @RpcService(plainText = true)
  interface Notify {
    void notify(List<Integer> ids);
  }

  private static MethodDescriptor only(Class<?> service) {
    return ServiceDescriptor.parse(service, Codec.json(), Duration.ofSeconds(1)).methods().get(0);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void stringValuesAreTheTextItselfNeitherQuotedNorEscaped() {
    MethodDescriptor shout = only(Shout.class);
    assertArrayEquals(utf8("say \"hi\"\n"), PlainText.encodeArgument(shout, "say \"hi\"\n"));
    assertEquals("say \"hi\"\n", PlainText.decodeArgument(shout, utf8("say \"hi\"\n")));
    assertEquals("", PlainText.decodeResult(shout, new byte[0]));
    assertArrayEquals(new byte[0], PlainText.encodeResult(shout, null), "a null String is an empty body");
  }

  @Test
  void otherValuesAreTheirJsonText() {
    MethodDescriptor notify = only(Notify.class);
    assertArrayEquals(utf8("[1,2]"), PlainText.encodeArgument(notify, List.of(1, 2)));
    assertEquals(List.of(1, 2), PlainText.decodeArgument(notify, utf8(" [1, 2]\n")));
    assertArrayEquals(new byte[0], PlainText.encodeResult(notify, null), "void replies with an empty body");
    assertNull(PlainText.decodeResult(notify, utf8("anything")), "a void call ignores the reply body");
  }

  @Test
  void argumentTextThatIsNotOneValueOfTheTypeIsAnInvalidArgument() {
    MethodDescriptor fib = only(Fibonacci.class);
    for (String text : new String[] {"thirty", "30 31", "30.5", "\"30\"", "", "true"}) {
      RpcException e = assertThrows(RpcException.class, () -> PlainText.decodeArgument(fib, utf8(text)), text);
      assertEquals(Code.INVALID_ARGUMENT, e.code(), text);
      assertEquals("fib takes a plain-text int, not \"" + text + "\"", e.getMessage());
    }
  }

  @Test
  void argumentBytesThatAreNotUtf8AreAnInvalidArgument() {
    RpcException e = assertThrows(RpcException.class,
        () -> PlainText.decodeArgument(only(Shout.class), new byte[] {(byte) 0xC3, (byte) 0x28}));
    assertEquals(Code.INVALID_ARGUMENT, e.code());
  }

  @Test
  void argumentBeyondTheJsonLimitsIsResourceExhaustedAsInJsonMode() {
    byte[] longNumber = utf8("1".repeat(2000)); // beyond the parser's number-length limit (1000 digits)
    RpcException e = assertThrows(RpcException.class, () -> PlainText.decodeArgument(only(Fibonacci.class), longNumber));
    assertEquals(Code.RESOURCE_EXHAUSTED, e.code());
  }

  @Test
  void errorTextIsCodeTypeAndMessage() {
    assertArrayEquals(utf8("APPLICATION_ERROR: java.lang.IllegalStateException: broken"),
        PlainText.encodeError(Code.APPLICATION_ERROR, "java.lang.IllegalStateException", "broken"));
    assertArrayEquals(utf8("UNKNOWN_METHOD: no such method"), PlainText.encodeError(Code.UNKNOWN_METHOD, null, "no such method"));
  }

  @Test
  void aPlainReplyWithAnUnknownStatusIsInternalAndKeepsTheRemoteStatus() {
    RpcException e = PlainText.decodeFailure(only(Fibonacci.class), "QUOTA_EXCEEDED", utf8("QUOTA_EXCEEDED: later"));
    assertEquals(Code.INTERNAL, e.code());
    assertEquals("Fibonacci.fib: QUOTA_EXCEEDED: later (remote status QUOTA_EXCEEDED)", e.getMessage());
  }

  @Test
  void headersTheServerCannotReadAreAProtocolError() throws Exception {
    assertEquals("PROTOCOL", dispatch(Map.of("rpc-protocol", "1")));
    assertEquals("PROTOCOL", dispatch(Map.of("rpc-protocol", 1.5)));
    assertEquals("PROTOCOL", dispatch(Map.of("rpc-deadline", "tomorrow")));
    assertEquals("PROTOCOL", dispatch(Map.of("rpc-deadline", 0)));
    assertEquals("PROTOCOL", dispatch(Map.of("rpc-deadline", 4.1024448e12 + 0.5)));
  }

  @Test
  void headersInAnyIntegerWidthOrAsAWholeDoubleAreRead() throws Exception {
    assertEquals("OK", dispatch(Map.of("rpc-protocol", 1L, "rpc-deadline", 4102444800000L)));
    assertEquals("OK", dispatch(Map.of("rpc-protocol", (short) 1, "rpc-deadline", 4.1024448e12)));
    assertEquals("DEADLINE_EXCEEDED", dispatch(Map.of("rpc-protocol", (byte) 1, "rpc-deadline", 1000)));
  }

  /** The status the dispatcher answers {@code fib(10)} with, in JSON, under these headers. */
  private static String dispatch(Map<String, Object> headers) throws Exception {
    Dispatcher dispatcher = new Dispatcher(ServiceDescriptor.parse(Fibonacci.class, Codec.json(), Duration.ofSeconds(1)),
        new FibonacciImpl(), Codec.json(), 1024);
    CompletableFuture<String> status = new CompletableFuture<>();
    dispatcher.dispatch(WireFormat.JSON.contentType, headers, utf8("{\"method\":\"fib\",\"args\":[10]}"), false, "fib-10",
        (code, body) -> status.complete(code));
    return status.get(10, TimeUnit.SECONDS);
  }
}
