package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <p>The server has as many workers as {@link RpcClient.Builder#workers(int)} says. Each worker is
 * a channel of its own with a prefetch of {@link RpcClient.Builder#prefetch(int)} requests (default
 * one), and runs its requests' handlers on the thread that delivers them: no hand-off to another
 * thread between the broker and the handler, so a request costs what a hand-written consumer costs. Each request is decoded, run, answered on its
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
  private final int prefetch;
  private final Duration shutdownGrace;
  private final QueueSettings queueSettings;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Object drained = new Object();
  private final AtomicBoolean cancelledByBroker = new AtomicBoolean();
  private final List<Worker> started = new ArrayList<>();
  /** Declares the queue and receives cancel notices, apart from the workers so that a busy worker never delays a cancel. */
  private Channel control;
  private volatile boolean closed;
  private volatile boolean rejectToDeadLetter = true;

  RpcServer(RpcClient client, Dispatcher dispatcher, int workers, int prefetch, Duration shutdownGrace,
      QueueSettings queueSettings) {
    this.client = client;
    this.dispatcher = dispatcher;
    this.workers = workers;
    this.prefetch = prefetch;
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

  /**
   * Requests answered with {@code CANCELLED} without running, because their caller's cancel notice
   * had reached this server before their turn came.
   */
  public long cancelledRequests() {
    return dispatcher.cancelledRequests();
  }

  /** The cancel notices this server has received and remembers (tests observe it). */
  Cancellations cancellations() {
    return dispatcher.cancellations;
  }

  synchronized void start(AmqpTransport transport) {
    String queue = queue();
    try {
      rejectToDeadLetter = transport.isRabbitMq();
      control = transport.openChannel();
      // By default as RabbitMQ's tutorial declares it, so that its programs and ours can share the queue.
      control.queueDeclare(queue, queueSettings.durable(), false, false, queueSettings.arguments());
      listenForCancels();
      for (int i = 0; i < workers; i++) {
        Worker worker = new Worker(transport.openChannel());
        started.add(worker);
        worker.start();
      }
    } catch (IOException | RuntimeException e) {
      closeQuietly();
      if (e instanceof RpcException) {
        throw (RpcException) e;
      }
      throw new RpcException(Code.UNAVAILABLE,
          "cannot serve queue " + queue + " on " + transport.brokerDescription + ": " + describe(e), e);
    }
  }

  /**
   * Receives the cancel notices for this server's queue on an exclusive queue, bound to the cancel
   * exchange with the queue's name (docs/PROTOCOL.md §7).
   */
  private void listenForCancels() throws IOException {
    control.exchangeDeclare(Cancellations.EXCHANGE, Cancellations.EXCHANGE_TYPE, false, false, null);
    String cancels = control.queueDeclare("", false, true, true, null).getQueue();
    control.queueBind(cancels, Cancellations.EXCHANGE, queue());
    control.basicConsume(cancels, true, new DefaultConsumer(control) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        dispatcher.cancellations.onNotice(properties.getHeaders());
      }
    });
  }

  /**
   * One worker: a channel that takes requests from the queue and runs each on the thread that
   * delivers it, one at a time. Its lock serialises the channel's publishes and acks, since an async
   * handler's reply is sent from whatever thread completes its future.
   */
  private final class Worker extends DefaultConsumer {
    private final Channel channel;
    private String consumerTag;

    Worker(Channel channel) {
      super(channel);
      this.channel = channel;
    }

    void start() throws IOException {
      channel.basicQos(prefetch);
      consumerTag = channel.basicConsume(queue(), false, this);
    }

    @Override
    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
      inFlight.incrementAndGet();
      long deliveryTag = envelope.getDeliveryTag();
      try {
        if (!hasReplyTo(properties)) {
          log.warn("rejected a request on {} without reply_to (correlation id {})", queue(), properties.getCorrelationId());
          settle(() -> discard(deliveryTag));
          return;
        }
        if (closed) {
          // Closing: left unacked, the request returns to the queue when the channel closes.
          settle(() -> { });
          return;
        }
        dispatcher.dispatch(properties.getContentType(), properties.getHeaders(), body, envelope.isRedeliver(),
            properties.getCorrelationId(), replySink(deliveryTag, properties));
      } catch (RuntimeException e) {
        log.error("failed to handle a request on {}", queue(), e);
        settle(() -> discard(deliveryTag));
      }
    }

    @Override
    public void handleCancel(String tag) {
      if (!cancelledByBroker.getAndSet(true)) { // once per server, not once per worker
        log.warn("the broker cancelled the consumers of {} (queue deleted?); this server no longer receives requests",
            queue());
      }
    }

    /** Stops taking requests; those already delivered still run. */
    synchronized void stopConsuming() {
      try {
        if (channel.isOpen() && consumerTag != null) {
          channel.basicCancel(consumerTag);
        }
      } catch (IOException | RuntimeException e) {
        log.debug("cancel of {} failed: {}", queue(), describe(e));
      }
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

    /** Publishes, acks or rejects under the worker's lock, then counts the request as done. */
    private void settle(ChannelAction action) {
      try {
        synchronized (this) {
          if (channel.isOpen()) {
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

    synchronized void closeChannel() {
      closeQuietly(channel);
    }
  }

  /** Whether a request says where its reply goes; one without can only be discarded. */
  private static boolean hasReplyTo(AMQP.BasicProperties properties) {
    String replyTo = properties.getReplyTo();
    return replyTo != null && !replyTo.isEmpty();
  }

  private interface ChannelAction {
    void run() throws IOException;
  }

  /**
   * Stops taking requests, lets calls already running finish within the client's shutdown grace,
   * then interrupts those still running and closes the channels; requests not finished by then go
   * back to the queue. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<Worker> workersNow;
    synchronized (this) {
      workersNow = List.copyOf(started);
    }
    for (Worker worker : workersNow) {
      worker.stopConsuming();
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
    dispatcher.cancellations.interruptAll(); // handlers still running after the grace period
    for (Worker worker : started) {
      worker.closeChannel();
    }
    if (control != null) {
      closeQuietly(control);
    }
  }

  private void closeQuietly(Channel channel) {
    if (channel.isOpen()) {
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
