package dev.rabbitrpc.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.RpcClientParams;
import com.rabbitmq.tools.jsonrpc.JacksonJsonRpcMapper;
import com.rabbitmq.tools.jsonrpc.JsonRpcClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.core.ParameterizedTypeReference;

/** The peers the harness compares, each as a factory of per-thread callers. */
final class Peers {
  private Peers() {}

  /** Makes one blocking call; one instance per calling thread. */
  interface SyncCaller extends AutoCloseable {
    void call() throws Exception;

    @Override
    default void close() throws IOException, TimeoutException {}
  }

  /** Starts one call without waiting; used from one thread with a bounded number in flight. */
  interface AsyncCaller extends AutoCloseable {
    CompletableFuture<?> start() throws Exception;

    @Override
    default void close() throws IOException, TimeoutException {}
  }

  /** A peer under test. */
  interface SyncPeer {
    String name();

    /** Prefix of the names of the client's own threads (connection reader, consumer pool). */
    String threadPrefix();

    SyncCaller newCaller(Payload payload) throws Exception;
  }

  /** A pipelining peer under test. */
  interface AsyncPeer {
    String name();

    AsyncCaller newCaller(Payload payload) throws Exception;
  }

  /**
   * The request body rabbit-rpc sends for {@code echo(payload)}; the raw peers send these very
   * bytes so that the broker moves the same amount of data for every peer.
   */
  static byte[] requestBody(ObjectMapper mapper, Payload payload) throws Exception {
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("method", "echo");
    request.put("args", List.of(payload));
    return mapper.writeValueAsBytes(request);
  }

  /** Raw amqp-client, one channel per calling thread, against {@link RawEchoServer}. */
  static SyncPeer raw(String name, Connection connection, String queue, byte[] body, String threadPrefix) {
    return raw(name, connection, queue, body, body, threadPrefix, false);
  }

  /**
   * As {@link #raw}; with {@code rpcProperties} the requests carry rabbit-rpc's properties. The
   * first reply must be {@code expectedReply}.
   */
  static SyncPeer raw(String name, Connection connection, String queue, byte[] body, byte[] expectedReply,
      String threadPrefix, boolean rpcProperties) {
    return new SyncPeer() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public String threadPrefix() {
        return threadPrefix;
      }

      @Override
      public SyncCaller newCaller(Payload payload) throws Exception {
        RawClient client = new RawClient(connection, queue, rpcProperties);
        byte[] reply = client.call(body, EndToEndBenchmark.CALL_TIMEOUT_MILLIS);
        if (!Arrays.equals(reply, expectedReply)) {
          throw new IllegalStateException(name + ": unexpected reply " + new String(reply, StandardCharsets.UTF_8));
        }
        return new SyncCaller() {
          @Override
          public void call() throws Exception {
            client.call(body, EndToEndBenchmark.CALL_TIMEOUT_MILLIS);
          }

          @Override
          public void close() throws IOException, TimeoutException {
            client.close();
          }
        };
      }
    };
  }

  /** Raw amqp-client, one channel, up to the harness's limit of calls in flight. */
  static AsyncPeer rawPipelined(String name, Connection connection, String queue, byte[] body) {
    return new AsyncPeer() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public AsyncCaller newCaller(Payload payload) throws Exception {
        RawClient client = new RawClient(connection, queue);
        return new AsyncCaller() {
          @Override
          public CompletableFuture<?> start() throws Exception {
            return client.send(body);
          }

          @Override
          public void close() throws IOException, TimeoutException {
            client.close();
          }
        };
      }
    };
  }

  /** amqp-client's {@code JsonRpcClient} proxy, one client (and channel) per calling thread. */
  static SyncPeer jsonRpc(Connection connection, String queue, String threadPrefix) {
    return new SyncPeer() {
      @Override
      public String name() {
        return "JsonRpcClient";
      }

      @Override
      public String threadPrefix() {
        return threadPrefix;
      }

      @Override
      public SyncCaller newCaller(Payload payload) throws Exception {
        Channel channel = connection.createChannel();
        // The constructor asks the server for its description (a call of its own).
        JsonRpcClient client = new JsonRpcClient(
            new RpcClientParams().channel(channel).exchange("").routingKey(queue)
                .timeout((int) EndToEndBenchmark.CALL_TIMEOUT_MILLIS),
            new JacksonJsonRpcMapper(), Set.of(Payload.class));
        JsonRpcEcho proxy = client.createProxy(JsonRpcEcho.class);
        check(name(), payload, proxy.echo(payload));
        return new SyncCaller() {
          @Override
          public void call() {
            proxy.echo(payload);
          }

          @Override
          public void close() throws IOException, TimeoutException {
            client.close();
            if (channel.isOpen()) {
              channel.close();
            }
          }
        };
      }
    };
  }

  /**
   * Spring AMQP's {@code RabbitTemplate.convertSendAndReceiveAsType}, direct reply-to; one shared
   * template, as Spring advises (it takes a channel per call in flight from its reply container).
   */
  static SyncPeer rabbitTemplate(RabbitTemplate template, String queue, String threadPrefix) {
    ParameterizedTypeReference<Payload> type = new ParameterizedTypeReference<>() {};
    return new SyncPeer() {
      @Override
      public String name() {
        return "RabbitTemplate";
      }

      @Override
      public String threadPrefix() {
        return threadPrefix;
      }

      @Override
      public SyncCaller newCaller(Payload payload) throws TimeoutException {
        check(name(), payload, call(payload));
        return () -> call(payload);
      }

      private Payload call(Payload payload) throws TimeoutException {
        Payload reply = template.convertSendAndReceiveAsType("", queue, payload, type);
        if (reply == null) { // what the template returns when the reply timeout passes
          throw new TimeoutException(name() + ": no reply within " + EndToEndBenchmark.CALL_TIMEOUT_MILLIS + " ms");
        }
        return reply;
      }
    };
  }

  /** rabbit-rpc's blocking proxy; one shared proxy, as users are told to share clients. */
  static SyncPeer rpcSync(EchoService proxy, String threadPrefix) {
    return rpcSync("rabbit-rpc sync", proxy, threadPrefix);
  }

  /** As {@link #rpcSync(EchoService, String)}, named (e.g. for a client with another encoding). */
  static SyncPeer rpcSync(String name, EchoService proxy, String threadPrefix) {
    return new SyncPeer() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public String threadPrefix() {
        return threadPrefix;
      }

      @Override
      public SyncCaller newCaller(Payload payload) {
        check(name(), payload, proxy.echo(payload));
        return () -> proxy.echo(payload);
      }
    };
  }

  /** rabbit-rpc's {@code CompletableFuture} proxy. */
  static AsyncPeer rpcAsync(EchoService proxy) {
    return new AsyncPeer() {
      @Override
      public String name() {
        return "rabbit-rpc async";
      }

      @Override
      public AsyncCaller newCaller(Payload payload) throws Exception {
        check(name(), payload, proxy.echoAsync(payload).get(EndToEndBenchmark.CALL_TIMEOUT_MILLIS,
            java.util.concurrent.TimeUnit.MILLISECONDS));
        return () -> proxy.echoAsync(payload);
      }
    };
  }

  private static void check(String peer, Payload sent, Object received) {
    if (!sent.equals(received)) {
      throw new IllegalStateException(peer + ": the echo differs from the request: " + received);
    }
  }
}
