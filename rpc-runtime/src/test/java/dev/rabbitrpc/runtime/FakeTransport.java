package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * An in-memory {@link ClientTransport} for unit tests of the call pipeline: always connected,
 * records every request published, and answers each through the {@link ReplyListener} on a reply
 * thread of its own (as a broker's consumer thread would), as {@link #server} says: a reply, a
 * publish failure, or nothing (then the call waits for its deadline).
 */
final class FakeTransport implements ClientTransport {
  /** A request as published. */
  record Request(String queue, AMQP.BasicProperties properties, byte[] body, boolean oneWay) {}

  /** A server's answer: a reply, or a publish that throws. Null from {@link #server}: no answer. */
  record Answer(String contentType, String status, byte[] body, IOException publishFailure) {
    static Answer reply(String contentType, String status, byte[] body) {
      return new Answer(contentType, status, body, null);
    }

    static Answer publishFails(String why) {
      return new Answer(null, null, null, new IOException(why));
    }
  }

  final List<Request> published = new CopyOnWriteArrayList<>();
  private final ReplyListener listener;
  private final ExecutorService replies = Executors.newSingleThreadExecutor(Threads.daemon("fake-reply"));
  /** Decides each request's answer; by default none. */
  volatile Function<Request, Answer> server = request -> null;

  FakeTransport(ReplyListener listener) {
    this.listener = listener;
  }

  private final RequestChannel channel = new RequestChannel() {
    @Override
    public String replyTo() {
      return "fake-reply-to";
    }

    @Override
    public void publish(String queue, AMQP.BasicProperties properties, byte[] body) throws IOException {
      answer(new Request(queue, properties, body, false));
    }

    @Override
    public void publishCancel(String queue, String correlationId, String key) {}

    @Override
    public void publishControl(String address, com.rabbitmq.client.AMQP.BasicProperties properties) {}
  };

  private void answer(Request request) throws IOException {
    Answer answer = server.apply(request);
    if (answer != null && answer.publishFailure() != null) {
      throw answer.publishFailure();
    }
    published.add(request);
    if (answer != null) {
      replies.execute(() -> listener.onReply(request.properties().getCorrelationId(), answer.contentType(),
          answer.status(), answer.body(), -1, null));
    }
  }

  @Override
  public String brokerDescription() {
    return "fake://";
  }

  @Override
  public boolean isConnected() {
    return true;
  }

  @Override
  public CompletableFuture<?> connectAsync() {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void checkNotBlocked() {}

  @Override
  public boolean connectedToRabbitMq() {
    return true;
  }

  @Override
  public RequestChannel requestChannel(Deadline deadline) {
    return channel;
  }

  @Override
  public OneWayPublisher oneWayPublisher(Deadline deadline) {
    return (queue, properties, body) -> {
      published.add(new Request(queue, properties, body, true));
      return CompletableFuture.completedFuture(null); // the broker's confirm
    };
  }

  void shutdown() {
    replies.shutdownNow();
  }
}
