package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes one queue (one shard) of a server on a channel of its own: each delivery is handed to a
 * worker, which runs it and answers it through a {@link ServerReply} on this intake's
 * {@link IntakeChannel}; its {@link FlowControl} sets how many requests it may hold.
 *
 * <p>Threading: deliveries, cancels and the shutdown signal come on amqp-client's consumer thread
 * for the channel, which hands requests on; requests run on the server's workers, or on that
 * consumer thread while its {@link InlinePolicy} says so; settling
 * takes the channel's lock; the consumer (its tag, whether it stopped) is guarded by a lock of its
 * own, taken by start, stop and the prefetch change on the prefetch executor — never by a reply.
 * What it held and whether it is retired are guarded by this object.
 */
final class ServerIntake extends DefaultConsumer {
  private static final Logger log = LoggerFactory.getLogger(ServerIntake.class);

  /** What an intake needs of its server: the shared parts and where it reports. Called on any thread, under no intake lock. */
  interface Host {
    Dispatcher dispatcher();

    /** Whether requests may run on the delivering thread ({@link InlinePolicy}): set so, and the service allows it. */
    boolean mayRunOnDeliveryThread();

    /** Runs a request on a worker; false if the workers are shut down. */
    boolean runOnWorker(Runnable request);

    LongAdder failedOneWay();

    /** The consumer's arguments (a consumer timeout where the broker takes one), or null. */
    Map<String, Object> consumerArguments();

    /** The grace left if the server is closing, in ms; -1 if it is not. */
    long closingGraceMillis();

    void requestArrived();

    void requestSettled();

    /** The intake can receive no more requests (the cancel was confirmed, or the consumer or channel is gone). */
    void stoppedReceiving();

    /** The intake's channel was closed. */
    void channelClosed(ServerIntake intake);

    /** The broker closed the channel: what its reason teaches (a message size limit, a consumer timeout). */
    void channelShutDown(ServerIntake intake, ShutdownSignalException cause);

    /** The intake lost its consumer or channel and amqp-client will not bring it back. */
    void lost(ServerIntake intake, String why);
  }

  private final Host host;
  private final IntakeChannel channel;
  /** The shard whose queue this intake consumes. */
  final ServiceDescriptor shard;
  private final FlowControl flow;
  /** Whether a request runs on the delivering thread instead of a worker. */
  private final InlinePolicy inline;
  /** Guards {@link #consumerTag} and {@link #stopped}; never held with the channel's lock. */
  private final Object consumer = new Object();
  /** The consumer that takes requests now (a prefetch change replaces it). */
  private String consumerTag;
  /** Cancelled or retired: never consumes again. */
  private boolean stopped;
  /** Consumers this intake cancels to replace them: their cancel-ok (or the broker's cancel) is not a stop. */
  private final Set<String> replaced = ConcurrentHashMap.newKeySet();
  /** Requests delivered and not yet settled; guarded by this. */
  private int held;
  /** A recovery replaced this intake: its channel closes once its requests are settled; guarded by this. */
  private boolean retired;
  /** Until the broker confirms the cancel (or the consumer or channel is gone), deliveries may still arrive. */
  volatile boolean receiving;

  /**
   * @param prefetch its share of the server's prefetch
   * @param adaptive whether its {@link FlowControl} adapts the prefetch
   * @param prefetchChanges the server's prefetch executor
   */
  ServerIntake(Channel channel, ServiceDescriptor shard, int prefetch, boolean adaptive, boolean rejectToDeadLetter,
      LongSupplier ticker, Executor prefetchChanges, Host host) {
    super(channel);
    this.host = host;
    this.shard = shard;
    this.channel = new IntakeChannel(channel, shard.queue, rejectToDeadLetter, this::settled);
    boolean mayRunOnDeliveryThread = host.mayRunOnDeliveryThread();
    this.flow = new FlowControl(shard.queue, prefetch, adaptive, mayRunOnDeliveryThread, ticker, prefetchChanges,
        this::reconsume);
    this.inline = new InlinePolicy(mayRunOnDeliveryThread);
  }

  /** The queue this intake consumes. */
  String queue() {
    return shard.queue;
  }

  IntakeChannel intakeChannel() {
    return channel;
  }

  /** The prefetch of its consumer now. */
  int prefetchNow() {
    return flow.prefetch();
  }

  void start() throws IOException {
    receiving = true;
    synchronized (consumer) {
      consumerTag = channel.consume(flow.initial(), host.consumerArguments(), this);
    }
  }

  /**
   * On the prefetch executor: consumes again with {@code prefetch}, then cancels the old consumer;
   * requests the old one was given still run and are acked on this channel, and its cancel-ok is
   * not a stop.
   */
  private boolean reconsume(int prefetch) throws IOException {
    synchronized (consumer) {
      if (stopped || !channel.isOpen()) {
        return false;
      }
      String old = consumerTag;
      consumerTag = channel.consume(prefetch, host.consumerArguments(), this);
      replaced.add(old);
      channel.cancel(old);
      return true;
    }
  }

  /**
   * On amqp-client's consumer thread: hands the request to a worker, so the next one is read at
   * once; or, while the {@link InlinePolicy} says so (one short request at a time), runs it here.
   */
  @Override
  public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
    host.requestArrived();
    long deliveryTag = envelope.getDeliveryTag();
    boolean owed = ServerReply.hasReplyTo(properties.getReplyTo())
        && WireHeaders.wantsTakenNotice(properties.getHeaders());
    boolean idle;
    synchronized (this) {
      idle = held++ == 0 && !retired;
    }
    if (owed) {
      channel.oweNotice(deliveryTag, properties);
      noticeTaken(); // only if closing: delivered after the close began (before the broker confirmed the cancel)
    }
    if (inline.allowed() && inline.runHere(idle && host.closingGraceMillis() < 0, flow.handlersShort(), flow.now())) {
      handle(envelope, properties, body);
      return;
    }
    if (!host.runOnWorker(() -> handle(envelope, properties, body))) {
      // Only once closed, after the grace: the channel closes unacknowledged and the broker requeues it.
      channel.drop(deliveryTag);
    }
  }

  /** On a worker thread (or the delivering one, see {@link InlinePolicy}): runs one request and answers it. */
  private void handle(Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
    ServerReply reply = null;
    try {
      // Also while closing: a request delivered before the cancel runs within the grace, not requeued.
      reply = new ServerReply(channel, flow, host.dispatcher(), host.failedOneWay(), queue(),
          envelope.getDeliveryTag(), properties);
      host.dispatcher().dispatch(shard, properties.getContentType(), properties.getHeaders(), body,
          envelope.isRedeliver(), properties.getCorrelationId(), reply);
    } catch (Throwable e) {
      // The worker's boundary. Thrown on, anything (a StackOverflowError in a deserializer, say)
      // would kill the worker and leave the request unanswered and unacknowledged. So it is answered.
      log.error("failed to handle a request on {}; it is answered INTERNAL", queue(), e);
      if (reply != null) {
        reply.failed(properties.getContentType(), e);
      }
    }
  }

  /** If the server is closing: tells the callers owed a taken notice that this server has their requests. */
  void noticeTaken() {
    long graceMillis = host.closingGraceMillis();
    if (graceMillis >= 0) {
      channel.noticeTaken(graceMillis);
    }
  }

  /** After each request is settled on the channel. */
  private void settled() {
    if (inline.allowed()) {
      inline.settled(flow.now());
    }
    boolean closeNow;
    synchronized (this) {
      held--;
      closeNow = retired && held == 0;
    }
    if (closeNow) {
      closeChannel();
    }
    host.requestSettled();
  }

  @Override
  public void handleCancelOk(String tag) {
    if (replaced.remove(tag)) {
      return; // a consumer replaced by a prefetch change: its successor is receiving
    }
    stoppedReceiving();
  }

  @Override
  public void handleCancel(String tag) {
    if (replaced.remove(tag)) {
      return; // a consumer being replaced; if the queue is gone, the broker cancels its successor too
    }
    stoppedReceiving();
    host.lost(this, "the broker cancelled the consumer of " + queue() + " (the queue was deleted; or, on RabbitMQ 4.3"
        + " and later, a request stayed unacknowledged longer than the queue's consumer timeout)");
  }

  @Override
  public void handleShutdownSignal(String tag, ShutdownSignalException cause) {
    stoppedReceiving();
    host.channelShutDown(this, cause);
    // amqp-client recovers a lost connection with its channels and consumers itself, if it may.
    boolean recoveredByClient = cause.isHardError() && channel.channel() instanceof Recoverable;
    if (!cause.isInitiatedByApplication() && !recoveredByClient) {
      host.lost(this, "the channel of " + queue() + " closed: " + cause.getMessage());
    }
  }

  private void stoppedReceiving() {
    receiving = false;
    host.stoppedReceiving();
  }

  /** Stops taking requests; those already delivered still run. */
  void stopConsuming() {
    synchronized (consumer) {
      stopped = true;
      try {
        if (channel.isOpen() && consumerTag != null) {
          receiving = true; // until the cancel-ok, which comes after every delivery before it
          channel.cancel(consumerTag);
          return;
        }
      } catch (IOException | RuntimeException e) {
        log.debug("cancel of {} failed: {}", queue(), IntakeChannel.describe(e));
      }
    }
    stoppedReceiving();
  }

  /** Replaced by a recovery: stops consuming and closes the channel once its requests are settled. */
  void retire() {
    boolean closeNow;
    synchronized (this) {
      retired = true;
      closeNow = held == 0;
    }
    if (closeNow) {
      synchronized (consumer) {
        stopped = true;
      }
      closeChannel();
    } else {
      stopConsuming();
    }
  }

  void closeChannel() {
    channel.close();
    host.channelClosed(this);
  }
}
