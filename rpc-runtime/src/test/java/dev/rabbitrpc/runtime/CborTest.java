package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import dev.rabbitrpc.api.Encoding;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.runtime.TestServices.Blob;
import dev.rabbitrpc.runtime.TestServices.Blobs;
import dev.rabbitrpc.runtime.TestServices.BlobsImpl;
import dev.rabbitrpc.runtime.TestServices.NotFoundException;
import dev.rabbitrpc.runtime.TestServices.Types;
import dev.rabbitrpc.runtime.TestServices.TypesImpl;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CBOR format (docs/PROTOCOL.md, "CBOR") through the envelope and the dispatcher, beside JSON:
 * the same Java values, the same strictness, byte strings for {@code byte[]}, and the replies a
 * server sends for a content type it cannot read, on which the client's fallback relies.
 */
class CborTest {
  private static final Codec CODEC = Codec.json();
  private static final ObjectMapper CBOR = CODEC.mapper(WireFormat.CBOR);
  private static final ObjectMapper JSON = CODEC.mapper(WireFormat.JSON);
  /** A lenient, unconfigured mapper: what another team's CBOR encoder would send. */
  private static final ObjectMapper ANY_CBOR = new CBORMapper();
  private static final Map<String, Object> HEADERS = Map.of(WireHeaders.PROTOCOL, 1);

  private final ServiceDescriptor blobs = ServiceDescriptor.parse(Blobs.class, CODEC, Duration.ofSeconds(5));
  private final BlobsImpl implementation = new BlobsImpl();
  private final Dispatcher dispatcher = new Dispatcher(blobs, implementation, CODEC, 4 << 20);

  private record Sent(String status, byte[] body) {}

  private Sent dispatch(Dispatcher to, String contentType, byte[] body) throws Exception {
    CompletableFuture<Sent> reply = new CompletableFuture<>();
    to.dispatch(contentType, HEADERS, body, false, "id-1", (status, replyBody) -> reply.complete(new Sent(status, replyBody)));
    return reply.get(10, TimeUnit.SECONDS);
  }

  /** A call as the client makes it: encoded in {@code format}, dispatched, and its reply decoded. */
  private Object call(WireFormat format, String method, Object... args) throws Throwable {
    MethodDescriptor descriptor = blobs.forWireName(method);
    Sent sent = dispatch(dispatcher, format.contentType, WireBody.encodeRequest(CODEC.mapper(format), descriptor, args));
    if (WireHeaders.STATUS_OK.equals(sent.status())) {
      return WireBody.decodeResult(CODEC.mapper(format), descriptor, sent.body());
    }
    throw WireBody.decodeFailure(CODEC.mapper(format), descriptor, sent.status(), sent.body());
  }

  @Test
  void carriesRecordsWithBytesOptionalsAndJavaTimeAsJsonDoes() throws Throwable {
    Blob blob = new Blob("photo", TestServices.counting(1000), Optional.of("raw"), Instant.parse("2026-11-25T10:15:30.123Z"));
    Blob expected = implementation.reverse(blob);
    assertEquals(expected, call(WireFormat.CBOR, "reverse", blob));
    assertEquals(expected, call(WireFormat.JSON, "reverse", blob));
    Blob empty = new Blob("", new byte[0], Optional.empty(), Instant.EPOCH);
    assertEquals(empty, call(WireFormat.CBOR, "reverse", empty));
    assertArrayEquals(TestServices.counting(70_000), (byte[]) call(WireFormat.CBOR, "bytes", 70_000));
    assertEquals(3, call(WireFormat.CBOR, "lengthAsync", (Object) new byte[3]));
    assertEquals(7.5, call(WireFormat.CBOR, "scale", 2.5, 3.0));
  }

  @Test
  void carriesEveryTypeOfTheSharedFixtureAsJsonDoes() throws Throwable {
    ServiceDescriptor types = ServiceDescriptor.parse(Types.class, CODEC, Duration.ofSeconds(5));
    Dispatcher server = new Dispatcher(types, new TypesImpl(), CODEC, 1 << 20);
    Object shape = new TestServices.Shape("s", List.of(new TestServices.Point(1, 2)),
        Map.of("a", new TestServices.Point(3, 4)), Optional.of(TestServices.Color.RED));
    Map<String, Object[]> calls = Map.of(
        "shape", new Object[] {shape},
        "negate", new Object[] {Long.MAX_VALUE},
        "echo", new Object[] {"grüße \"quoted\" ✓"},
        "find", new Object[] {Optional.empty()},
        "nested", new Object[] {Map.of("k", List.of(Optional.of(new TestServices.Point(5, 6)), Optional.empty()))},
        "nullable", new Object[] {java.util.Arrays.asList(1, null, 3)},
        "nothing", new Object[0]);
    for (Map.Entry<String, Object[]> c : calls.entrySet()) {
      MethodDescriptor method = types.forWireName(c.getKey());
      Object[] results = new Object[2];
      int i = 0;
      for (WireFormat format : new WireFormat[] {WireFormat.JSON, WireFormat.CBOR}) {
        Sent sent = dispatch(server, format.contentType, WireBody.encodeRequest(CODEC.mapper(format), method, c.getValue()));
        assertEquals(WireHeaders.STATUS_OK, sent.status(), c.getKey() + " in " + format);
        results[i++] = WireBody.decodeResult(CODEC.mapper(format), method, sent.body());
      }
      assertEquals(results[0], results[1], c.getKey() + ": CBOR gives what JSON gives");
    }
  }

  @Test
  void writesByteArraysAsByteStringsNotBase64() throws Exception {
    byte[] data = TestServices.counting(1 << 20);
    Blob blob = new Blob("big", data, Optional.empty(), Instant.EPOCH);
    byte[] body = WireBody.encodeRequest(CBOR, blobs.forWireName("reverse"), new Object[] {blob});

    // Major type 2 (byte string), length in the next 4 bytes (0x5a), then the raw bytes themselves.
    byte[] header = {0x5a, 0x00, 0x10, 0x00, 0x00};
    int at = indexOf(body, header);
    assertTrue(at > 0, "a byte string header of 1 MiB");
    byte[] carried = java.util.Arrays.copyOfRange(body, at + header.length, at + header.length + data.length);
    assertArrayEquals(data, carried, "the bytes follow their header as they are");
    assertTrue(body.length < data.length + 100, "no base64 (which adds a third): " + body.length + " bytes");
    assertEquals(-1, indexOf(body, Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(data, 30))
        .getBytes(StandardCharsets.US_ASCII)), "no base64 text of the data");

    // The same record in JSON: base64, as PROTOCOL.md's JSON table says.
    String json = new String(WireBody.encodeRequest(JSON, blobs.forWireName("reverse"), new Object[] {blob}),
        StandardCharsets.UTF_8);
    assertTrue(json.contains(Base64.getEncoder().encodeToString(data)));
  }

  @Test
  void writesAUuidAsA16ByteByteStringAndReadsItBack() throws Exception {
    java.util.UUID id = java.util.UUID.fromString("00112233-4455-6677-8899-aabbccddeeff");
    byte[] body = CBOR.writeValueAsBytes(id);
    assertEquals("5000112233445566778899aabbccddeeff", hex(body), "as docs/PROTOCOL.md says");
    assertEquals(id, CBOR.readValue(body, java.util.UUID.class));
  }

  @Test
  void writesTheRequestAsTheSameMapAsJsonWithDefiniteLengths() throws Exception {
    byte[] body = WireBody.encodeRequest(CBOR, blobs.forWireName("scale"), new Object[] {2.5, 3.0});
    // {"method":"scale","args":[2.5,3.0]}: a map of 2, text keys, an array of 2 float64s.
    assertEquals("a2666d6574686f64657363616c65646172677382fb4004000000000000fb4008000000000000", hex(body));
    JsonNode tree = ANY_CBOR.readTree(body);
    assertEquals(JSON.readTree("{\"method\":\"scale\",\"args\":[2.5,3.0]}"), tree);
  }

  @Test
  void writesErrorsAsTheSameMapAsJson() throws Exception {
    byte[] body = WireBody.encodeError(CBOR, Code.APPLICATION_ERROR, "java.lang.IllegalStateException", "no");
    assertEquals(JSON.readTree(WireBody.encodeError(JSON, Code.APPLICATION_ERROR, "java.lang.IllegalStateException", "no")),
        ANY_CBOR.readTree(body));
    assertTrue(hex(body).startsWith("a1" + "656572726f72" + "a3"), "a map of 1, \"error\", then a map of 3: " + hex(body));
  }

  @Test
  void declaredAndApplicationErrorsTravelInCbor() throws Throwable {
    NotFoundException declared = assertThrows(NotFoundException.class, () -> call(WireFormat.CBOR, "named", ""));
    assertEquals("no blob without a name", declared.getMessage());
    RpcException undeclared = assertThrows(RpcException.class, () -> call(WireFormat.CBOR, "broken", "on purpose"));
    assertEquals(Code.APPLICATION_ERROR, undeclared.code());
    assertEquals(IllegalStateException.class.getName(), undeclared.remoteType());
  }

  /**
   * Every argument JSON refuses, CBOR refuses with the same code and message: the same mapper
   * settings and coercion rules bind both, only the tokens come from another parser.
   */
  @ParameterizedTest
  @ValueSource(strings = {
    "{\"method\":\"bytes\",\"args\":[\"5\"]}",
    "{\"method\":\"bytes\",\"args\":[1.7]}",
    "{\"method\":\"bytes\",\"args\":[true]}",
    "{\"method\":\"bytes\",\"args\":[null]}",
    "{\"method\":\"bytes\",\"args\":[3000000000]}",
    "{\"method\":\"bytes\",\"args\":[1,2]}",
    "{\"method\":\"scale\",\"args\":[\"NaNa\",2]}",
    "{\"method\":\"bytes\",\"args\":[]}",
    "{\"method\":\"named\",\"args\":[5]}",
    "{\"method\":\"named\",\"args\":[false]}",
    "{\"method\":\"scale\",\"args\":[\"1.5\",2]}",
    "{\"method\":\"reverse\",\"args\":[{\"name\":\"a\",\"data\":\"AA==\",\"note\":null,\"at\":\"noon\"}]}",
    "{\"method\":\"reverse\",\"args\":[{\"name\":\"a\",\"data\":5,\"note\":null,\"at\":\"2026-01-01T00:00:00Z\"}]}",
    "{\"method\":\"reverse\",\"args\":[[1]]}",
    "{\"method\":\"missing\",\"args\":[]}",
    "{\"args\":[1]}",
    "{\"method\":5}",
    "{\"method\":\"bytes\",\"args\":5}",
    "[1]",
  })
  void refusesWhatJsonRefusesWithTheSameCodeAndMessage(String json) throws Exception {
    byte[] cbor = ANY_CBOR.writeValueAsBytes(new ObjectMapper().readTree(json));
    Sent fromJson = dispatch(dispatcher, WireFormat.JSON.contentType, json.getBytes(StandardCharsets.UTF_8));
    Sent fromCbor = dispatch(dispatcher, WireFormat.CBOR.contentType, cbor);
    assertFalse(WireHeaders.STATUS_OK.equals(fromJson.status()), json + " is refused");
    assertEquals(fromJson.status(), fromCbor.status(), json);
    assertEquals(JSON.readTree(fromJson.body()).toString()
            .replace("JSON object", "CBOR map").replace("JSON array", "CBOR array"),
        CBOR.readTree(fromCbor.body()).toString(), "the same error, in CBOR: " + json);
    assertEquals(0, implementation.calls.get(), "nothing ran");
  }

  /**
   * JSON has no NaN or infinities: Jackson writes them as the strings {@code "NaN"},
   * {@code "Infinity"}, {@code "-Infinity"} and reads those back into a {@code double} whatever the
   * coercion settings. CBOR floats carry them natively; so a Java program gets the same values either way.
   */
  @Test
  void carriesNonFiniteNumbersAsJsonDoes() throws Throwable {
    for (double notFinite : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      assertEquals(notFinite, call(WireFormat.CBOR, "scale", notFinite, 1.0));
      assertEquals(notFinite, call(WireFormat.JSON, "scale", notFinite, 1.0));
    }
    byte[] body = WireBody.encodeRequest(CBOR, blobs.forWireName("scale"), new Object[] {Double.NaN, 1.0});
    assertTrue(hex(body).contains("fb7ff8000000000000"), "a float64 NaN, not a string: " + hex(body));
  }

  @Test
  void readsBase64TextForBytesAsJsonDoesAndRefusesTrailingData() throws Throwable {
    // Writers send a byte string; a reader takes base64 text too, as Jackson reads JSON's.
    byte[] text = ANY_CBOR.writeValueAsBytes(Map.of("method", "lengthAsync", "args", List.of("AAAA")));
    Sent sent = dispatch(dispatcher, WireFormat.CBOR.contentType, text);
    assertEquals(WireHeaders.STATUS_OK, sent.status());
    assertEquals(3, WireBody.decodeResult(CBOR, blobs.forWireName("lengthAsync"), sent.body()));
    byte[] request = ANY_CBOR.writeValueAsBytes(Map.of("method", "bytes", "args", List.of(1)));
    byte[] trailing = java.util.Arrays.copyOf(request, request.length + 1);
    trailing[request.length] = 0x01;
    assertEquals(Code.PROTOCOL.name(), dispatch(dispatcher, WireFormat.CBOR.contentType, trailing).status());
    byte[] truncated = java.util.Arrays.copyOf(request, request.length - 1);
    assertEquals(Code.PROTOCOL.name(), dispatch(dispatcher, WireFormat.CBOR.contentType, truncated).status());
    assertEquals(1, implementation.calls.get(), "only the first ran");
  }

  @Test
  void refusesNestingDeeperThanTheLimitAsJsonDoes() throws Exception {
    Object deep = List.of();
    for (int i = 0; i < Codec.MAX_NESTING_DEPTH + 1; i++) {
      deep = List.of(deep);
    }
    // In an unknown field, which the server skips: the parser itself must stop at the limit.
    Map<String, Object> request = Map.of("method", "bytes", "args", List.of(1), "extra", deep);
    Sent cbor = dispatch(dispatcher, WireFormat.CBOR.contentType, ANY_CBOR.writeValueAsBytes(request));
    Sent json = dispatch(dispatcher, WireFormat.JSON.contentType, new ObjectMapper().writeValueAsBytes(request));
    assertEquals(Code.RESOURCE_EXHAUSTED.name(), json.status());
    assertEquals(Code.RESOURCE_EXHAUSTED.name(), cbor.status());
  }

  @Test
  void answersAnUnknownContentTypeInJsonNamingItWithoutRunningAnything() throws Exception {
    byte[] body = ANY_CBOR.writeValueAsBytes(Map.of("method", "bytes", "args", List.of(1)));
    for (String contentType : new String[] {"application/msgpack", "text/plain", "application/cbor-seq"}) {
      Sent sent = dispatch(dispatcher, contentType, body);
      assertEquals(Code.PROTOCOL.name(), sent.status(), contentType);
      JsonNode error = JSON.readTree(sent.body()).get("error");
      assertEquals("PROTOCOL", error.get("code").asText());
      assertEquals("unsupported content_type \"" + contentType + "\"; this server reads application/json,"
          + " application/cbor and plain text (no content_type)", error.get("message").asText());
    }
    assertEquals(0, implementation.calls.get(), "nothing ran");
  }

  @Test
  void readsContentTypesWithoutCaseOrParameters() {
    assertEquals(WireFormat.JSON, WireFormat.of("application/json; charset=utf-8"));
    assertEquals(WireFormat.CBOR, WireFormat.of("Application/CBOR"));
    assertEquals(WireFormat.PLAIN, WireFormat.of(""));
    assertEquals(WireFormat.PLAIN, WireFormat.of(null));
    assertNull(WireFormat.of("application/xml"));
    assertEquals(WireFormat.JSON, WireFormat.ofReplyTo("application/xml"), "an unreadable type is answered in JSON");
    assertEquals(WireFormat.CBOR, WireFormat.ofReplyTo("application/cbor"));
    assertNull(WireFormat.ofReplyTo(null).contentType, "plain text is answered in plain text");
  }

  /**
   * What a server that reads every body as JSON (rabbit-rpc before CBOR) answers a CBOR request:
   * {@code PROTOCOL}, in JSON, without running it, since a CBOR map never starts like JSON. The
   * client's fallback relies on exactly this reply.
   */
  @Test
  void aJsonOnlyServerAnswersACborRequestProtocolInJsonWithoutRunningIt() throws Exception {
    Blob blob = new Blob("x", new byte[] {1, 2}, Optional.empty(), Instant.EPOCH);
    for (Object[] request : new Object[][] {{"reverse", blob}, {"bytes", 3}, {"named", ""}}) {
      byte[] cbor = WireBody.encodeRequest(CBOR, blobs.forWireName((String) request[0]),
          java.util.Arrays.copyOfRange(request, 1, request.length));
      Sent sent = dispatch(dispatcher, WireFormat.JSON.contentType, cbor); // as the old server read it
      assertEquals(Code.PROTOCOL.name(), sent.status());
      assertTrue(JSON.readTree(sent.body()).get("error").get("message").asText().startsWith("malformed JSON"));
    }
    assertEquals(0, implementation.calls.get(), "nothing ran");
  }

  @Test
  void aReplyRefusesTheFormatOnlyWhenACborRequestIsAnsweredProtocolInAnotherFormat() {
    PendingCall cbor = pending(WireFormat.CBOR);
    PendingCall json = pending(WireFormat.JSON);
    assertTrue(ReplyDecoder.refusesFormat(cbor, WireFormat.JSON, "PROTOCOL"));
    assertFalse(ReplyDecoder.refusesFormat(cbor, WireFormat.CBOR, "PROTOCOL"), "a CBOR server's own PROTOCOL error");
    assertFalse(ReplyDecoder.refusesFormat(cbor, WireFormat.JSON, "INVALID_ARGUMENT"));
    assertFalse(ReplyDecoder.refusesFormat(cbor, WireFormat.JSON, "OK"));
    assertFalse(ReplyDecoder.refusesFormat(cbor, WireFormat.JSON, null));
    assertFalse(ReplyDecoder.refusesFormat(json, WireFormat.JSON, "PROTOCOL"), "JSON is never refused: one fallback at most");
  }

  @Test
  void theRouterMarksARefusedCborCallBeforeCompletingItWithTheServersError() throws Exception {
    ReplyRouter router = new ReplyRouter(CODEC, null);
    CorrelationIds ids = new CorrelationIds();
    MethodDescriptor method = blobs.forWireName("bytes");
    PendingCall call = router.register(ids.next(), method, null, "q", Deadline.after(5, TimeUnit.SECONDS), WireFormat.CBOR);
    router.onReply(call.correlationId, "application/json", "PROTOCOL",
        WireBody.encodeError(JSON, Code.PROTOCOL, null, "malformed JSON: Invalid UTF-8 start byte 0xa2"));
    assertTrue(call.formatRefused);
    RpcException failure = assertInstanceOf(RpcException.class,
        assertThrows(java.util.concurrent.ExecutionException.class, () -> call.get(1, TimeUnit.SECONDS)).getCause());
    assertEquals(Code.PROTOCOL, failure.code());

    PendingCall answered = router.register(ids.next(), method, null, "q", Deadline.after(5, TimeUnit.SECONDS), WireFormat.CBOR);
    router.onReply(answered.correlationId, "application/cbor", "OK", ANY_CBOR.writeValueAsBytes(new byte[] {7}));
    assertArrayEquals(new byte[] {7}, (byte[]) answered.get(1, TimeUnit.SECONDS));
    assertFalse(answered.formatRefused);
  }

  @RpcService(plainText = true, encoding = Encoding.CBOR)
  interface PlainAndCbor {
    int fib(int n);
  }

  @Test
  void aPlainTextServiceTakesNoEncoding() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServiceDescriptor.parse(PlainAndCbor.class, CODEC, Duration.ofSeconds(1)));
    assertTrue(e.getMessage().contains("takes no encoding"), e.getMessage());
  }

  @Test
  void theServiceAnnotationIsParsedOnce() {
    assertEquals(Encoding.DEFAULT, blobs.encoding);
    assertEquals(Encoding.CBOR,
        ServiceDescriptor.parse(TestServices.CborBlobs.class, CODEC, Duration.ofSeconds(1)).encoding);
    assertEquals(Encoding.CBOR, ServiceDescriptor.parse(TestServices.CborBlobs.class, CODEC, Duration.ofSeconds(1))
        .withQueue("elsewhere").encoding);
  }

  private PendingCall pending(WireFormat format) {
    return new PendingCall("id", blobs.forWireName("bytes"), null, "q", Deadline.after(1, TimeUnit.SECONDS), format,
        new java.util.concurrent.ConcurrentHashMap<>());
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  static String hex(byte[] bytes) {
    StringBuilder text = new StringBuilder();
    for (byte b : bytes) {
      text.append(String.format("%02x", b));
    }
    return text.toString();
  }
}
