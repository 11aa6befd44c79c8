package dev.rabbitrpc.runtime;

import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The intakes of one server, one per served queue (shard): starts them, replaces one a recovery
 * serves again, retires them, and counts the requests they hold so that a close can wait until
 * they are drained. It is the {@link ServerIntake.Host} of each.
 *
 * <p>Threading: the set of consuming intakes is guarded by this object (the server calls in under
 * its own lock, which comes first); the intakes call in from amqp-client's consumer threads and
 * from workers, without holding a lock of theirs, and the loss of an intake goes on to the
 * server's {@link Listener} outside this object's lock.
 */
final class ServerIntakes implements ServerIntake.Host {
  private static final Logger log = LoggerFactory.getLogger(ServerIntakes.class);

  /** Where an intake's loss goes: the server, which recovers it. */
  interface Listener {
    void lost(ServerIntake intake, String why);
  }

  private final Object server; // for the logs: its toString
  private final Dispatcher dispatcher;
  private final List<ServiceDescriptor> served;
  private final int prefetch;
  private final boolean adaptive;
  private final Duration shutdownGrace;
  private final ConsumerTimeout consumerTimeout;
  private final ServerWorkers workers;
  private final Executor prefetchChanges;
  private final LongSupplier ticker;
  private final Listener listener;
  private final LongAdder failedOneWay = new LongAdder();
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Notified when a request is settled or an intake stops receiving; a close waits on it. */
  private final Object drained = new Object();
  /** Intakes whose channels are open: those consuming and those retired by a recovery but still finishing requests. */
  private final List<ServerIntake> open = new CopyOnWriteArrayList<>();
  /** The intakes consuming now, at most one per served shard (fewer while recovering). Guarded by this. */
  private final List<ServerIntake> consuming = new ArrayList<>();
  private ServerQueues.Channels channels;
  private MessageSizeLimit messageSizeLimit;
  private volatile boolean rejectToDeadLetter = true;
  /** Whether the broker takes {@code x-consumer-timeout} on a consumer (RabbitMQ 3.12+). */
  private volatile boolean perConsumerTimeout;
  /** When the close began ({@link System#nanoTime()}), once {@link #closing}: the grace is counted from it. */
  private volatile long closeBeganNanos;
  private volatile boolean closing;

  ServerIntakes(Object server, Dispatcher dispatcher, List<ServiceDescriptor> served, int prefetch, boolean adaptive,
      Duration shutdownGrace, ConsumerTimeout consumerTimeout, ServerWorkers workers, Executor prefetchChanges,
      LongSupplier ticker, Listener listener) {
    this.server = server;
    this.dispatcher = dispatcher;
    this.served = served;
    this.prefetch = prefetch;
    this.adaptive = adaptive;
    this.shutdownGrace = shutdownGrace;
    this.consumerTimeout = consumerTimeout;
    this.workers = workers;
    this.prefetchChanges = prefetchChanges;
    this.ticker = ticker;
    this.listener = listener;
  }

  /** The broker the intakes consume from, and what it takes; before the first {@link #consume}. */
  void connect(ServerQueues.Channels channels, MessageSizeLimit messageSizeLimit, boolean rejectToDeadLetter,
      boolean perConsumerTimeout) {
    this.channels = channels;
    this.messageSizeLimit = messageSizeLimit;
    this.rejectToDeadLetter = rejectToDeadLetter;
    this.perConsumerTimeout = perConsumerTimeout;
  }

  /** The prefetch of the consumer of the {@code index}-th served shard: its share of the server's total. */
  static int prefetchShare(int total, int shards, int index) {
    return Math.max(1, total / shards + (index < total % shards ? 1 : 0));
  }

  /** Starts consuming the {@code index}-th served shard on a channel of its own. */
  synchronized void consume(int index) throws IOException {
    int share = prefetchShare(prefetch, served.size(), index);
    ServerIntake intake = new ServerIntake(channels.open(), served.get(index), share, adaptive,
        rejectToDeadLetter, ticker, prefetchChanges, this);
    open.add(intake);
    consuming.add(intake);
    try {
      intake.start();
    } catch (IOException e) {
      BrokerRefusal refusal = BrokerRefusal.of(e);
      if (!perConsumerTimeout || refusal == null || !refusal.replyText.contains(ConsumerTimeout.ARGUMENT)) {
        throw e;
      }
      // RabbitMQ 4.x takes x-consumer-timeout on consumers of quorum queues only; a classic queue
      // refuses it (406, closing the channel): consume without it, as on a broker that takes none.
      perConsumerTimeout = false;
      open.remove(intake);
      consuming.remove(intake);
      intake.intakeChannel().close();
      log.warn("{}: {} may run longer than the broker's consumer timeout ({} ms), and {} refuses a per-consumer"
          + " value for this queue ({}); raise its consumer timeout (the consumer-timeout policy, or consumer_timeout"
          + " on the node), or a request that runs longer costs the server's channel, and its requests are redelivered",
          server, consumerTimeout.methodsBeyondBroker(shutdownGrace), consumerTimeout.brokerMillis(),
          served.get(index).queue, refusal);
      consume(index);
    }
  }

  /** Forgets a lost intake; false if it was not consuming (lost already, or retired). */
  synchronized boolean remove(ServerIntake intake) {
    return consuming.remove(intake);
  }

  /** Whether an intake consumes this shard now. */
  synchronized boolean isConsuming(ServiceDescriptor shard) {
    for (ServerIntake intake : consuming) {
      if (intake.shard == shard) {
        return true;
      }
    }
    return false;
  }

  /** Whether every served shard is consumed. */
  synchronized boolean allConsuming() {
    return consuming.size() == served.size();
  }

  /** Retires the consuming intakes: they stop, and close once their requests are settled. */
  synchronized void retireAll() {
    for (ServerIntake intake : consuming) {
      intake.retire();
    }
    consuming.clear();
  }

  /** The requests its consumers may hold now, all shards together. */
  synchronized int prefetchNow() {
    int total = 0;
    for (ServerIntake intake : consuming) {
      total += intake.prefetchNow();
    }
    return total;
  }

  /** Stops every intake consuming and sends the taken notices owed; the first step of a close. */
  void beginClose(long beganNanos) {
    closeBeganNanos = beganNanos;
    closing = true;
    for (ServerIntake intake : List.copyOf(open)) {
      intake.stopConsuming();
      intake.noticeTaken();
    }
  }

  /** Until no intake can still receive a request (the broker confirmed the cancel) and none is in flight, or {@code end}. */
  void awaitDrained(long end) {
    synchronized (drained) {
      long left;
      while (!isDrained() && (left = end - System.nanoTime()) > 0) {
        try {
          TimeUnit.NANOSECONDS.timedWait(drained, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private boolean isDrained() {
    if (inFlight.get() > 0) {
      return false;
    }
    for (ServerIntake intake : open) {
      if (intake.receiving) {
        return false;
      }
    }
    return true;
  }

  /** Closes every intake's channel, settled or not: the broker requeues what they held. */
  synchronized void closeAll() {
    for (ServerIntake intake : List.copyOf(open)) {
      intake.closeChannel();
    }
    consuming.clear();
  }

  long failedOneWayCount() {
    return failedOneWay.sum();
  }

  // ServerIntake.Host

  @Override
  public Dispatcher dispatcher() {
    return dispatcher;
  }

  @Override
  public boolean mayRunOnDeliveryThread() {
    return workers.deliveryThread && dispatcher.mayRunOnDeliveryThread();
  }

  @Override
  public boolean runOnWorker(Runnable request) {
    return workers.run(request);
  }

  @Override
  public LongAdder failedOneWay() {
    return failedOneWay;
  }

  @Override
  public Map<String, Object> consumerArguments() {
    return consumerTimeout.consumerArguments(perConsumerTimeout);
  }

  @Override
  public long closingGraceMillis() {
    if (!closing) {
      return -1;
    }
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(shutdownGrace.toNanos() - (System.nanoTime() - closeBeganNanos)));
  }

  @Override
  public void requestArrived() {
    inFlight.incrementAndGet();
  }

  @Override
  public void requestSettled() {
    if (inFlight.decrementAndGet() == 0) {
      stoppedReceiving();
    }
  }

  @Override
  public void stoppedReceiving() {
    synchronized (drained) {
      drained.notifyAll();
    }
  }

  @Override
  public void channelClosed(ServerIntake intake) {
    open.remove(intake);
  }

  @Override
  public void channelShutDown(ServerIntake intake, ShutdownSignalException cause) {
    BrokerRefusal refusal = BrokerRefusal.of(cause);
    if (refusal != null && refusal.isTooLarge()) {
      // A reply over the broker's max_message_size: its request comes back redelivered, and from
      // now on a result that large is answered RESOURCE_EXHAUSTED instead of costing the channel.
      messageSizeLimit.learnBrokerLimit(refusal.brokerLimit);
    }
    if (refusal != null && refusal.consumerTimeoutMillis > 0) {
      consumerTimeout.learn(refusal.consumerTimeoutMillis);
      log.warn("{}: RabbitMQ closed the channel of {}: a request stayed unacknowledged longer than its consumer"
          + " timeout ({} ms){}; the requests it held come back redelivered, run again only if @Idempotent",
          server, intake.queue(), refusal.consumerTimeoutMillis, !consumerTimeout.exceedsBroker() ? ""
              : perConsumerTimeout ? ", shorter than " + consumerTimeout.methodsBeyondBroker(shutdownGrace)
                  + " may run: it consumes again with " + ConsumerTimeout.ARGUMENT
              : ", shorter than " + consumerTimeout.methodsBeyondBroker(shutdownGrace)
                  + " may run, and this broker takes no per-consumer value: raise consumer_timeout on the node");
    }
  }

  @Override
  public void lost(ServerIntake intake, String why) {
    listener.lost(intake, why);
  }
}
