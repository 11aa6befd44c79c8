package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The properties of each message of protocol v1, as {@link WireHeaders} builds and reads them. */
class WireHeadersTest {
  private static final Deadline DEADLINE = Deadline.after(5, java.util.concurrent.TimeUnit.SECONDS);

  @Test
  void aRequestCarriesTheProtocolsHeadersAndTheApplicationsBesideThem() {
    AMQP.BasicProperties request = WireHeaders.request(WireFormat.CBOR, "id-1", "amq.rabbitmq.reply-to", DEADLINE,
        5_000, Map.of("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            WireHeaders.PROTOCOL, "2")); // an application cannot override a protocol header
    assertEquals(WireFormat.CBOR.contentType, request.getContentType());
    assertEquals("id-1", request.getCorrelationId());
    assertEquals("amq.rabbitmq.reply-to", request.getReplyTo());
    assertEquals("5000", request.getExpiration());
    Map<String, Object> headers = request.getHeaders();
    assertEquals(WireHeaders.PROTOCOL_VERSION, headers.get(WireHeaders.PROTOCOL));
    long deadline = (Long) headers.get(WireHeaders.DEADLINE);
    assertTrue(Math.abs(deadline - DEADLINE.toEpochMillis()) <= 1, deadline + " vs " + DEADLINE.toEpochMillis());
    assertEquals(CancelKeys.keyFor("id-1"), headers.get(WireHeaders.CANCEL_KEY));
    assertEquals("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", headers.get("traceparent"));
    assertEquals(deadline, WireHeaders.deadlineOf(headers));
  }

  @Test
  void aPlainRequestHasNoContentTypeAndAnotherBrokerNoExpiration() {
    AMQP.BasicProperties request = WireHeaders.request(WireFormat.PLAIN, "id-2", "reply", DEADLINE, -1, Map.of());
    assertNull(request.getContentType());
    assertNull(request.getExpiration());
  }

  @Test
  void aOneWayRequestIsJsonWithoutReplyToOrCancelKey() {
    AMQP.BasicProperties request = WireHeaders.oneWayRequest("id-3", DEADLINE, 100, Map.of());
    assertEquals(WireFormat.JSON.contentType, request.getContentType());
    assertNull(request.getReplyTo());
    assertFalse(request.getHeaders().containsKey(WireHeaders.CANCEL_KEY));
    assertEquals("100", request.getExpiration());
  }

  @Test
  void replies() {
    AMQP.BasicProperties ok = WireHeaders.reply("application/json", "id", WireHeaders.STATUS_OK, -1, Map.of());
    assertEquals(Map.of(WireHeaders.PROTOCOL, 1, WireHeaders.STATUS, "OK"), ok.getHeaders());
    assertEquals(WireHeaders.STATUS_OK, WireHeaders.statusOf(ok.getHeaders()));
    assertNull(WireHeaders.replyVersionError(ok.getHeaders()));
    assertEquals(-1, WireHeaders.expiredMillisOf(ok.getHeaders()));

    AMQP.BasicProperties skipped = WireHeaders.reply("application/cbor", "id", "DEADLINE_EXCEEDED", 42,
        Map.of("traceparent", "x", WireHeaders.STATUS, "OK"));
    assertEquals("application/cbor", skipped.getContentType());
    assertEquals("DEADLINE_EXCEEDED", WireHeaders.statusOf(skipped.getHeaders()), "the protocol's header wins");
    assertEquals(42, WireHeaders.expiredMillisOf(skipped.getHeaders()));
    assertEquals("x", skipped.getHeaders().get("traceparent"));
  }

  @Test
  void whatEachSideRefuses() {
    Map<String, Object> headers = new HashMap<>();
    WireHeaders.checkRequest(null); // the tutorial's requests have no headers at all
    headers.put(WireHeaders.PROTOCOL, 2);
    RpcException version = assertThrows(RpcException.class, () -> WireHeaders.checkRequest(headers));
    assertEquals(Code.PROTOCOL, version.code());
    assertTrue(version.getMessage().contains("rpc-protocol 2"), version.getMessage());
    assertEquals(Code.PROTOCOL, WireHeaders.replyVersionError(headers).code());

    headers.put(WireHeaders.PROTOCOL, 1.0); // a whole double is an integer to a peer that has no other
    headers.put(WireHeaders.DEADLINE, "soon");
    RpcException deadline = assertThrows(RpcException.class, () -> WireHeaders.checkRequest(headers));
    assertTrue(deadline.getMessage().contains("rpc-deadline must be a positive integer"), deadline.getMessage());
    headers.put(WireHeaders.DEADLINE, 0x1p60);
    assertEquals(0, WireHeaders.deadlineOf(headers), "not exactly representable: unreadable");
    headers.put(WireHeaders.EXPIRED, -5L);
    assertEquals(-1, WireHeaders.expiredMillisOf(headers));
  }
}
