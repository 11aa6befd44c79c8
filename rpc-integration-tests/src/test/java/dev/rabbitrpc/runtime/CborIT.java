package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.rabbitrpc.api.Encoding;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.runtime.TestServices.Blob;
import dev.rabbitrpc.runtime.TestServices.Blobs;
import dev.rabbitrpc.runtime.TestServices.BlobsImpl;
import dev.rabbitrpc.runtime.TestServices.CborBlobs;
import dev.rabbitrpc.runtime.TestServices.JsonBlobs;
import dev.rabbitrpc.runtime.TestServices.NotFoundException;
import dev.rabbitrpc.test.RpcBroker;
import dev.rabbitrpc.test.RpcBrokerTest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * CBOR end to end (docs/PROTOCOL.md, "CBOR" and "Negotiation"): proxy → broker → server → reply,
 * a JSON client on the same server, the fallback to JSON against a server that reads every body as
 * JSON (rabbit-rpc before CBOR, simulated by a raw amqp-client peer), and errors in CBOR.
 */
@RpcBrokerTest
class CborIT {
  private static final long WAIT_SECONDS = 20;

  private final TestBroker broker;

  CborIT(RpcBroker broker) {
    this.broker = new TestBroker(broker);
  }

  private static Blob blob(int size) {
    return new Blob("photo", TestServices.counting(size), Optional.of("raw"), Instant.parse("2026-12-01T10:15:30.5Z"));
  }

  @Test
  void cborAndJsonClientsCallTheSameServerAndGetTheSameValues() throws Exception {
    String queue = TestBroker.uniqueQueue("cbor-server");
    try {
      BlobsImpl implementation = new BlobsImpl();
      broker.client().export(Blobs.class, implementation, queue);
      Blobs cbor = broker.client(b -> b.encoding(Encoding.CBOR)).proxy(Blobs.class, queue);
      Blobs json = broker.client().proxy(Blobs.class, queue);

      Blob big = blob(1 << 20);
      Blob expected = implementation.reverse(big);
      assertEquals(expected, cbor.reverse(big));
      assertEquals(expected, json.reverse(big));
      assertArrayEquals(TestServices.counting(300_000), cbor.bytes(300_000));
      assertEquals(5, cbor.lengthAsync(new byte[5]).get(WAIT_SECONDS, TimeUnit.SECONDS));
      assertEquals(Double.NaN, cbor.scale(Double.NaN, 2));
      assertEquals(7.5, json.scale(2.5, 3));
    } finally {
      broker.deleteQueue(queue);
    }
  }

  @Test
  void declaredExceptionsAndApplicationErrorsTravelInCbor() throws Exception {
    String queue = TestBroker.uniqueQueue("cbor-errors");
    try {
      broker.client().export(Blobs.class, new BlobsImpl(), queue);
      Blobs cbor = broker.client(b -> b.encoding(Encoding.CBOR)).proxy(Blobs.class, queue);
      NotFoundException declared = assertThrows(NotFoundException.class, () -> cbor.named(""));
      assertEquals("no blob without a name", declared.getMessage());
      RpcException undeclared = assertThrows(RpcException.class, () -> cbor.broken("on purpose"));
      assertEquals(RpcException.Code.APPLICATION_ERROR, undeclared.code());
      assertEquals(IllegalStateException.class.getName(), undeclared.remoteType());
      assertTrue(undeclared.getMessage().contains("on purpose"), undeclared.getMessage());
    } finally {
      broker.deleteQueue(queue);
    }
  }

  @Test
  void theServiceAnnotationChoosesTheEncodingOverTheClient() throws Exception {
    try (OldServer server = new OldServer(false)) {
      RpcClient cborClient = broker.client(b -> b.encoding(Encoding.CBOR));
      RpcClient jsonClient = broker.client();
      assertEquals(5, jsonClient.proxy(CborBlobs.class, server.queue).bytes(5).length);
      assertEquals(5, cborClient.proxy(JsonBlobs.class, server.queue).bytes(5).length);
      assertEquals(5, cborClient.proxy(Blobs.class, server.queue).bytes(5).length);
      assertEquals(5, jsonClient.proxy(Blobs.class, server.queue).bytes(5).length);
      assertEquals(List.of("application/cbor", "application/json", "application/cbor", "application/json"),
          server.contentTypes);
    }
  }

  @Test
  void aServerAnswersAnUnknownContentTypeInJsonNamingItWithoutRunningAnything() throws Exception {
    String queue = TestBroker.uniqueQueue("cbor-unknown-type");
    try {
      BlobsImpl implementation = new BlobsImpl();
      broker.client().export(Blobs.class, implementation, queue);
      RawPeer peer = new RawPeer(broker.rawConnection());
      String id = java.util.UUID.randomUUID().toString();
      peer.send(queue, new AMQP.BasicProperties.Builder().contentType("application/msgpack").correlationId(id)
          .replyTo(peer.replyQueue).headers(Map.of("rpc-protocol", 1)).build(), "\u0082\u00a6method");
      RawPeer.Reply reply = peer.reply();
      assertEquals(id, reply.properties().getCorrelationId());
      assertEquals("application/json", reply.properties().getContentType());
      assertEquals("PROTOCOL", reply.status());
      JsonNode error = Codec.json().mapper().readTree(reply.body()).get("error");
      assertTrue(error.get("message").asText().startsWith("unsupported content_type \"application/msgpack\""),
          reply.body());
      assertEquals(0, implementation.calls.get(), "nothing ran");
    } finally {
      broker.deleteQueue(queue);
    }
  }

  @Test
  void aCborClientFallsBackToJsonOnceForAServerThatReadsOnlyJsonAndRemembersItsQueue() throws Exception {
    try (OldServer old = new OldServer(true)) {
      AtomicInteger attempts = new AtomicInteger();
      RpcClient client = broker.client(b -> b.encoding(Encoding.CBOR).interceptor((call, next) -> {
        attempts.incrementAndGet();
        return next.proceed(call);
      }));
      Blobs blobs = client.proxy(Blobs.class, old.queue);

      Blob big = blob(100_000);
      assertEquals(new BlobsImpl().reverse(big), blobs.reverse(big));
      assertEquals(List.of("application/cbor", "application/json"), old.contentTypes, "refused once, then JSON");
      assertEquals(2, attempts.get(), "the interceptors see both attempts");
      assertEquals(1, old.implementation.calls.get(), "run once");

      assertEquals(3, blobs.bytes(3).length);
      assertEquals(4, blobs.lengthAsync(new byte[4]).get(WAIT_SECONDS, TimeUnit.SECONDS));
      assertEquals(List.of("application/cbor", "application/json", "application/json", "application/json"),
          old.contentTypes, "the queue is remembered: JSON straight away");
    }
  }

  @Test
  void anAsyncCborCallFallsBackAndAnotherQueueKeepsCbor() throws Exception {
    try (OldServer old = new OldServer(true); OldServer current = new OldServer(false)) {
      RpcClient client = broker.client(b -> b.encoding(Encoding.CBOR));
      CompletableFuture<Integer> length = client.proxy(Blobs.class, old.queue).lengthAsync(new byte[7]);
      assertEquals(7, length.get(WAIT_SECONDS, TimeUnit.SECONDS));
      assertEquals(List.of("application/cbor", "application/json"), old.contentTypes);

      assertEquals(2, client.proxy(Blobs.class, current.queue).bytes(2).length);
      assertEquals(List.of("application/cbor"), current.contentTypes, "per queue: CBOR where it is read");
    }
  }

  @Test
  void aCborErrorFromAServerThatReadsCborIsNotAFallback() throws Exception {
    try (OldServer current = new OldServer(false)) {
      RpcClient client = broker.client(b -> b.encoding(Encoding.CBOR));
      RpcException e = assertThrows(RpcException.class, () -> client.proxy(Blobs.class, current.queue).broken("no"));
      assertEquals(RpcException.Code.APPLICATION_ERROR, e.code());
      assertEquals(List.of("application/cbor"), current.contentTypes, "sent once, in CBOR");
    }
  }

  /**
   * A server on a raw amqp-client channel, around the runtime's {@link Dispatcher}: with
   * {@code jsonOnly}, it reads every body as JSON and answers in JSON, as rabbit-rpc did before
   * CBOR; else as today's server. It records the content type of each request it takes.
   */
  private final class OldServer implements AutoCloseable {
    final String queue = TestBroker.uniqueQueue("cbor-raw-server");
    final BlobsImpl implementation = new BlobsImpl();
    final List<String> contentTypes = Collections.synchronizedList(new ArrayList<>());
    private final Channel channel;

    OldServer(boolean jsonOnly) throws Exception {
      Codec codec = Codec.json();
      Dispatcher dispatcher = new Dispatcher(ServiceDescriptor.parse(Blobs.class, codec, Duration.ofSeconds(10)),
          implementation, codec, 16 << 20);
      channel = broker.rawConnection().createChannel();
      channel.queueDeclare(queue, false, true, true, null);
      channel.basicConsume(queue, true, new DefaultConsumer(channel) {
        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties request, byte[] body) {
          contentTypes.add(request.getContentType());
          String readAs = jsonOnly ? "application/json" : request.getContentType();
          dispatcher.dispatch(readAs, request.getHeaders(), body, false, request.getCorrelationId(),
              (status, reply) -> {
                try {
                  channel.basicPublish("", request.getReplyTo(), new AMQP.BasicProperties.Builder()
                      .contentType(WireFormat.ofReplyTo(readAs).contentType)
                      .correlationId(request.getCorrelationId())
                      .headers(Map.of("rpc-protocol", 1, "rpc-status", status))
                      .build(), reply);
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
        }
      });
    }

    @Override
    public void close() throws java.io.IOException, java.util.concurrent.TimeoutException {
      channel.close();
    }
  }
}
