package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.runtime.TestServices.Failing;
import dev.rabbitrpc.runtime.TestServices.NotFoundException;
import dev.rabbitrpc.runtime.TestServices.Point;
import dev.rabbitrpc.runtime.TestServices.Types;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Request and reply bodies of protocol v1, byte for byte. */
class WireBodyTest {
  private final ObjectMapper mapper = Codec.json().mapper();
  private final ServiceDescriptor types = ServiceDescriptor.parse(Types.class, Codec.json(), Duration.ofSeconds(1));
  private final ServiceDescriptor failing = ServiceDescriptor.parse(Failing.class, Codec.json(), Duration.ofSeconds(1));

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void encodesARequestAsMethodAndArgs() {
    byte[] body = WireBody.encodeRequest(mapper, types.forWireName("move"), new Object[] {new Point(1, 2), 3});
    assertEquals("{\"method\":\"move\",\"args\":[{\"x\":1,\"y\":2},3]}", new String(body, StandardCharsets.UTF_8));
    assertEquals("{\"method\":\"nothing\",\"args\":[]}",
        new String(WireBody.encodeRequest(mapper, types.forWireName("nothing"), new Object[0]), StandardCharsets.UTF_8));
  }

  @Test
  void decodesARequestIntoTypedArguments() {
    WireBody.Request request = WireBody.decodeRequest(mapper, types,
        utf8("{\"method\":\"index\",\"args\":[[{\"x\":1,\"y\":2}]]}"));
    assertEquals(types.forWireName("index"), request.method());
    assertEquals(List.of(new Point(1, 2)), request.args()[0]);
    assertInstanceOf(Point.class, ((List<?>) request.args()[0]).get(0));
  }

  @Test
  void decodesArgsThatComeBeforeTheMethodName() {
    WireBody.Request request = WireBody.decodeRequest(mapper, types, utf8("{\"args\":[2,3],\"method\":\"add\"}"));
    assertArrayEquals(new Object[] {2, 3}, request.args());
  }

  @Test
  void namesTheArgumentThatDoesNotFit() {
    RpcException e = assertThrows(RpcException.class,
        () -> WireBody.decodeRequest(mapper, types, utf8("{\"method\":\"add\",\"args\":[1,\"2\"]}")));
    assertEquals(Code.INVALID_ARGUMENT, e.code());
    assertEquals(true, e.getMessage().startsWith("argument #2 of add is not a valid int"), e.getMessage());
  }

  @Test
  void encodesResultsAndVoid() {
    assertEquals("[{\"x\":0,\"y\":0}]",
        new String(WireBody.encodeResult(mapper, types.forWireName("points"), List.of(new Point(0, 0))), StandardCharsets.UTF_8));
    assertEquals("null", new String(WireBody.encodeResult(mapper, types.forWireName("nothing"), null), StandardCharsets.UTF_8));
  }

  @Test
  void encodesErrorsWithCodeTypeAndMessage() {
    assertEquals("{\"error\":{\"code\":\"APPLICATION_ERROR\",\"type\":\"java.lang.IllegalStateException\",\"message\":\"boom\"}}",
        new String(WireBody.encodeError(mapper, Code.APPLICATION_ERROR, "java.lang.IllegalStateException", "boom"),
            StandardCharsets.UTF_8));
    assertEquals("{\"error\":{\"code\":\"UNKNOWN_METHOD\",\"message\":\"\"}}",
        new String(WireBody.encodeError(mapper, Code.UNKNOWN_METHOD, null, null), StandardCharsets.UTF_8));
  }

  @Test
  void turnsADeclaredRemoteExceptionIntoItsLocalType() {
    Throwable failure = WireBody.decodeFailure(mapper, failing.forWireName("find"), "APPLICATION_ERROR",
        WireBody.encodeError(mapper, Code.APPLICATION_ERROR, NotFoundException.class.getName(), "gone"));
    assertInstanceOf(NotFoundException.class, failure);
    assertEquals("gone", failure.getMessage());
  }

  interface Files {
    String read(String path) throws IOException;
  }

  @Test
  void turnsARegisteredSubclassOfADeclaredExceptionIntoThatSubclass() {
    ServiceDescriptor files = ServiceDescriptor.parse(Files.class, Codec.json(), Duration.ofSeconds(1));
    Throwable failure = WireBody.decodeFailure(mapper, files.forWireName("read"), "APPLICATION_ERROR",
        WireBody.encodeError(mapper, Code.APPLICATION_ERROR, FileNotFoundException.class.getName(), "/x"),
        java.util.Set.of(FileNotFoundException.class));
    assertInstanceOf(FileNotFoundException.class, failure);
    assertEquals("/x", failure.getMessage());
  }

  @Test
  void turnsAnUnregisteredSubclassOfADeclaredExceptionIntoTheDeclaredTypeWithoutConstructingIt() {
    ServiceDescriptor files = ServiceDescriptor.parse(Files.class, Codec.json(), Duration.ofSeconds(1));
    Throwable failure = WireBody.decodeFailure(mapper, files.forWireName("read"), "APPLICATION_ERROR",
        WireBody.encodeError(mapper, Code.APPLICATION_ERROR, FileNotFoundException.class.getName(), "/x"));
    assertEquals(IOException.class, failure.getClass());
    assertEquals("/x", failure.getMessage());
    assertEquals(FileNotFoundException.class.getName(),
        assertInstanceOf(RpcException.class, failure.getCause()).remoteType());
  }

  /** Constructing it is the side effect a hostile server would want. */
  public static final class Tripwire extends Exception {
    private static final long serialVersionUID = 1L;
    static final java.util.concurrent.atomic.AtomicInteger CONSTRUCTED = new java.util.concurrent.atomic.AtomicInteger();

    public Tripwire(String message) {
      super(message);
      CONSTRUCTED.incrementAndGet();
    }
  }

  interface Anything {
    String run(String task) throws Exception;
  }

  @Test
  void neverConstructsAnUndeclaredUnregisteredClassNamedByTheServer() {
    ServiceDescriptor anything = ServiceDescriptor.parse(Anything.class, Codec.json(), Duration.ofSeconds(1));
    int before = Tripwire.CONSTRUCTED.get();
    Throwable failure = WireBody.decodeFailure(mapper, anything.forWireName("run"), "APPLICATION_ERROR",
        WireBody.encodeError(mapper, Code.APPLICATION_ERROR, Tripwire.class.getName(), "boom"));
    assertEquals(before, Tripwire.CONSTRUCTED.get(), "the server's class name was instantiated");
    assertEquals(Exception.class, failure.getClass());
    assertEquals("boom", failure.getMessage());
  }

  @Test
  void keepsAnUndeclaredRemoteExceptionAsApplicationError() {
    RpcException failure = assertInstanceOf(RpcException.class, WireBody.decodeFailure(mapper,
        failing.forWireName("find"), "APPLICATION_ERROR",
        WireBody.encodeError(mapper, Code.APPLICATION_ERROR, "java.lang.ClassNotFoundException", "nope")));
    assertEquals(Code.APPLICATION_ERROR, failure.code());
    assertEquals("java.lang.ClassNotFoundException", failure.remoteType());
  }

  @Test
  void mapsAnUnknownStatusToInternalAndAMissingOneToProtocol() {
    RpcException unknown = assertInstanceOf(RpcException.class,
        WireBody.decodeFailure(mapper, types.forWireName("add"), "SHINY_NEW_CODE", utf8("{\"error\":{\"message\":\"m\"}}")));
    assertEquals(Code.INTERNAL, unknown.code());
    assertEquals("Types.add: m (remote status SHINY_NEW_CODE)", unknown.getMessage());
    RpcException missing = assertInstanceOf(RpcException.class,
        WireBody.decodeFailure(mapper, types.forWireName("add"), null, utf8("5")));
    assertEquals(Code.PROTOCOL, missing.code());
  }

  @Test
  void survivesAnUnreadableErrorBody() {
    RpcException failure = assertInstanceOf(RpcException.class,
        WireBody.decodeFailure(mapper, types.forWireName("add"), "INTERNAL", utf8("{{{")));
    assertEquals(Code.INTERNAL, failure.code());
  }

  @Test
  void failsAReplyThatDoesNotFitTheResultTypeWithProtocol() {
    RpcException e = assertThrows(RpcException.class,
        () -> WireBody.decodeResult(mapper, types.forWireName("add"), utf8("\"five\"")));
    assertEquals(Code.PROTOCOL, e.code());
    assertNull(WireBody.decodeResult(mapper, types.forWireName("nothing"), utf8("null")));
  }
}
