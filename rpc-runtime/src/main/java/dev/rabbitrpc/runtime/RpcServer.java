package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exported service: an implementation serving the requests of its queue until closed.
 *
 * <pre>{@code
 * try (RpcServer server = RpcServer.export(FibonacciService.class, new FibonacciServiceImpl())) {
 *   ... // serves until closed
 * }
 * }</pre>
 *
 * <p>Each request is decoded, run on one of the server's worker threads, answered on its
 * {@code reply_to} with its {@code correlation_id}, then acknowledged. Bad requests get a typed
 * error reply; handler exceptions become {@code APPLICATION_ERROR} replies; nothing is requeued.
 * A request without {@code reply_to} is rejected without requeue (dead-lettered if the queue has a
 * dead-letter exchange).
 *
 * <p>This class is thread-safe; {@link #close()} may be called from any thread, more than once.
 */
public final class RpcServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RpcServer.class);
  private static final Map<String, Object> OK_HEADERS = Map.of(
      dev.rabbitrpc.runtime.Envelope.HEADER_PROTOCOL, dev.rabbitrpc.runtime.Envelope.PROTOCOL_VERSION,
      dev.rabbitrpc.runtime.Envelope.HEADER_STATUS, dev.rabbitrpc.runtime.Envelope.STATUS_OK);

  private final RpcClient client;
  private final Dispatcher dispatcher;
  private final int workers;
  private final Duration shutdownGrace;
  private final QueueSettings queueSettings;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Object drained = new Object();
  private Channel channel;
  private ExecutorService executor;
  private String consumerTag;
  private volatile boolean closed;
  private volatile boolean rejectToDeadLetter = true;

  RpcServer(RpcClient client, Dispatcher dispatcher, int workers, Duration shutdownGrace, QueueSettings queueSettings) {
    this.client = client;
    this.dispatcher = dispatcher;
    this.workers = workers;
    this.shutdownGrace = shutdownGrace;
    this.queueSettings = queueSettings;
  }

  /**
   * Serves {@code implementation} on the process-wide default client (see {@link RpcProxy}).
   *
   * @throws IllegalArgumentException if {@code service} is not a valid service interface
   * @throws RpcException {@code UNAVAILABLE} if the broker cannot be reached
   */
  public static <T> RpcServer export(Class<T> service, T implementation) {
    return RpcClient.defaultClient().export(service, implementation);
  }

  /** The queue this server consumes. */
  public String queue() {
    return dispatcher.service.queue;
  }

  /** Requests answered with {@code DEADLINE_EXCEEDED} without running, because their deadline had passed. */
  public long expiredRequests() {
    return dispatcher.expiredRequests();
  }

  synchronized void start(AmqpTransport transport) {
    String queue = queue();
    try {
      rejectToDeadLetter = transport.isRabbitMq();
      channel = transport.openChannel();
      // By default as RabbitMQ's tutorial declares it, so that its programs and ours can share the queue.
      channel.queueDeclare(queue, queueSettings.durable(), false, false, queueSettings.arguments());
      channel.basicQos(workers);
      executor = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
          Threads.daemon("rpc-server-" + queue));
      listenForCancels();
      consumerTag = channel.basicConsume(queue, false, new DefaultConsumer(channel) {
        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
          inFlight.incrementAndGet();
          if (Dispatcher.isExpired(Dispatcher.deadlineOf(properties.getHeaders())) && hasReplyTo(properties)) {
            // Expired while queued or prefetched (RabbitMQ does not expire prefetched messages): no worker needed.
            dispatcher.replyExpired(replySink(envelope.getDeliveryTag(), properties),
                PlainText.isPlain(properties.getContentType()), "a request");
            return;
          }
          try {
            executor.execute(() -> handle(envelope, properties, body));
          } catch (java.util.concurrent.RejectedExecutionException closing) {
            // closed after the grace period: left unacked, the request returns to the queue with the channel
            settle(() -> { });
          }
        }

        @Override
        public void handleCancel(String tag) {
          log.warn("the broker cancelled the consumer of {} (queue deleted?); this server no longer receives requests",
              queue);
        }
      });
    } catch (IOException | RuntimeException e) {
      closeQuietly();
      if (e instanceof RpcException) {
        throw (RpcException) e;
      }
      throw new RpcException(Code.UNAVAILABLE,
          "cannot serve queue " + queue + " on " + transport.brokerDescription + ": " + describe(e), e);
    }
  }

  /** Receives every client's cancel notices on an exclusive queue bound to the cancel exchange. */
  private void listenForCancels() throws IOException {
    channel.exchangeDeclare(Cancellations.EXCHANGE, "fanout", false, false, null);
    String cancels = channel.queueDeclare("", false, true, true, null).getQueue();
    channel.queueBind(cancels, Cancellations.EXCHANGE, "");
    channel.basicConsume(cancels, true, new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        Object id = properties.getHeaders() == null ? null : properties.getHeaders().get(Cancellations.HEADER_CANCEL);
        if (id != null) {
          dispatcher.cancellations.cancel(id.toString());
        }
      }
    });
  }

  private void handle(Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
    long deliveryTag = envelope.getDeliveryTag();
    try {
      if (!hasReplyTo(properties)) {
        log.warn("rejected a request on {} without reply_to (correlation id {})", queue(), properties.getCorrelationId());
        settle(() -> discard(deliveryTag));
        return;
      }
      dispatcher.dispatch(properties.getContentType(), properties.getHeaders(), body, envelope.isRedeliver(),
          properties.getCorrelationId(),
          replySink(deliveryTag, properties));
    } catch (RuntimeException e) {
      log.error("failed to handle a request on {}", queue(), e);
      settle(() -> discard(deliveryTag));
    }
  }

  /** Whether a request says where its reply goes; one without can only be discarded. */
  private static boolean hasReplyTo(AMQP.BasicProperties properties) {
    String replyTo = properties.getReplyTo();
    return replyTo != null && !replyTo.isEmpty();
  }

  /**
   * Publishes the reply to the request's reply_to with its correlation id, then acks the request.
   * The reply is in the request's format: plain text (no content type) answers plain text.
   */
  private Dispatcher.ReplySink replySink(long deliveryTag, AMQP.BasicProperties request) {
    String replyTo = request.getReplyTo();
    String correlationId = request.getCorrelationId();
    String contentType = PlainText.isPlain(request.getContentType()) ? null : dev.rabbitrpc.runtime.Envelope.CONTENT_TYPE;
    return (status, replyBody) -> {
      AMQP.BasicProperties reply = new AMQP.BasicProperties.Builder()
          .contentType(contentType)
          .correlationId(correlationId)
          .headers(status.equals(dev.rabbitrpc.runtime.Envelope.STATUS_OK) ? OK_HEADERS : Map.of(
              dev.rabbitrpc.runtime.Envelope.HEADER_PROTOCOL, dev.rabbitrpc.runtime.Envelope.PROTOCOL_VERSION,
              dev.rabbitrpc.runtime.Envelope.HEADER_STATUS, status))
          .build();
      // Never mandatory: RabbitMQ 3.10 returns replies to direct reply-to addresses as NO_ROUTE.
      settle(() -> {
        channel.basicPublish("", replyTo, false, reply, replyBody);
        channel.basicAck(deliveryTag, false);
      });
    };
  }

  /**
   * Drops a request that cannot be answered. RabbitMQ: rejected without requeue, so it goes to the
   * queue's dead-letter exchange if it has one. Other brokers (Qpid) may requeue a rejected message
   * into a hot loop, so there it is acknowledged and only logged.
   */
  private void discard(long deliveryTag) throws IOException {
    if (rejectToDeadLetter) {
      channel.basicReject(deliveryTag, false);
    } else {
      channel.basicAck(deliveryTag, false);
    }
  }

  private interface ChannelAction {
    void run() throws IOException;
  }

  /** Publishes, acks or rejects under the channel lock, then counts the request as done. */
  private void settle(ChannelAction action) {
    try {
      synchronized (this) {
        if (channel != null && channel.isOpen()) {
          action.run();
        }
      }
    } catch (IOException | RuntimeException e) {
      // The broker requeues an unacked request when the channel closes; nothing more to do here.
      log.warn("could not reply on {}: {}", queue(), describe(e));
    } finally {
      if (inFlight.decrementAndGet() == 0) {
        synchronized (drained) {
          drained.notifyAll();
        }
      }
    }
  }

  /**
   * Stops taking requests, lets calls already running finish within the client's shutdown grace,
   * then closes the channel; requests not finished by then go back to the queue. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      synchronized (this) {
        if (channel != null && channel.isOpen() && consumerTag != null) {
          channel.basicCancel(consumerTag);
        }
      }
    } catch (IOException | RuntimeException e) {
      log.debug("cancel of {} failed: {}", queue(), describe(e));
    }
    awaitDrained();
    closeQuietly();
    client.serverClosed(this);
  }

  private void awaitDrained() {
    long end = System.nanoTime() + shutdownGrace.toNanos();
    synchronized (drained) {
      long left;
      while (inFlight.get() > 0 && (left = end - System.nanoTime()) > 0) {
        try {
          TimeUnit.NANOSECONDS.timedWait(drained, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private synchronized void closeQuietly() {
    if (executor != null) {
      executor.shutdownNow();
    }
    if (channel != null && channel.isOpen()) {
      try {
        channel.close();
      } catch (IOException | TimeoutException | RuntimeException e) {
        log.debug("close of {} failed: {}", queue(), describe(e));
      }
    }
  }

  private static String describe(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  @Override
  public String toString() {
    return "RpcServer[" + dispatcher.service.type.getSimpleName() + " on queue " + queue()
        + ", broker=" + client.brokerDescription() + (closed ? ", closed]" : "]");
  }
}
