package dev.rabbitrpc.runtime;

import com.rabbitmq.client.Channel;
import dev.rabbitrpc.api.RpcException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
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
 * <p>The server takes requests from its queue on one channel, with a prefetch of
 * {@link ServerBuilder#prefetch(int)} requests, and runs each on one of its {@link
 * ServerBuilder#workers(int)} worker threads (unset, the client's: {@link RpcClient.Builder}). The
 * default prefetch adapts ({@link FlowControl}): as many as the workers at first and whenever a
 * handler is slow, so that the server never holds a request it cannot start at once — a request
 * never waits behind a slow one while another server on the queue is free (RabbitMQ's "fair
 * dispatch") — and 8 times that while its handlers are all short, so that the broker streams
 * requests to it. Each request is decoded, run, answered on its {@code reply_to} with its
 * {@code correlation_id}, then acknowledged. Bad requests get a typed error reply; handler
 * exceptions become {@code APPLICATION_ERROR} replies; anything else thrown while a request is
 * handled (even an {@link Error}, such as a {@link StackOverflowError} in a deserializer) is
 * answered {@code INTERNAL}; nothing is requeued.
 * A request without {@code reply_to} runs only if its method is {@code @OneWay} (its outcome is not
 * sent; a failure is logged and counted, {@link ServerStats#failedOneWayRequests()}); any other is
 * rejected without requeue (dead-lettered if the queue has a dead-letter exchange).
 *
 * <p>A sharded service ({@code @RpcService(shards = N)}) is served on each of its shard queues by
 * default, or on a subset ({@link ServerBuilder#shards(int...)}); each shard has its own intake
 * channel and consumer, the prefetch split between them (see {@link #queues()}), and is declared,
 * served and recovered on its own: a shard whose queue is deleted is declared and consumed again
 * while the others keep serving.
 *
 * <p>The queue is served as it is if it exists (declared by an operator, another program or
 * another server); otherwise the server declares it durable (docs/PROTOCOL.md, "Request queues"). If the
 * broker cancels the server's consumers (the queue was deleted) or its connection is lost and
 * amqp-client will not recover it (a connection factory with automatic recovery off), the server
 * declares and consumes again, with back-off, until it is closed: see {@link #state()}.
 *
 * <p>This class is thread-safe; {@link #close()} may be called from any thread, more than once.
 * Its lifecycle (start, recovery, close) is guarded by this object; the intakes
 * ({@link ServerIntakes}) take their own locks after it, never before.
 */
public final class RpcServer implements AutoCloseable {
  /**
   * Where a server is in its life. {@code STARTING} until it consumes; {@code SERVING};
   * {@code RECOVERING} after it lost its consumers or connection, until it consumes again;
   * {@code CLOSING} while {@link #close()} lets the requests it holds finish; {@code CLOSED}.
   */
  public enum State { STARTING, SERVING, RECOVERING, CLOSING, CLOSED }

  private static final Logger log = LoggerFactory.getLogger(RpcServer.class);
  private static final long FIRST_RETRY_MILLIS = 100;
  private static final long MAX_RETRY_MILLIS = 5_000;

  private final Dispatcher dispatcher;
  private final Duration shutdownGrace;
  /** The shards this server serves: every shard of the service, or the subset it was exported for. */
  private final List<ServiceDescriptor> served;
  private final ServerQueues queues;
  private final ServerWorkers workers;
  /** Where the intakes' prefetch changes run, one at a time, off the threads that finish requests. */
  private final ThreadPoolExecutor prefetchChanges;
  private final ServerIntakes intakes;
  /** Asks the broker for a consumer timeout as long as the handlers may need, where it takes one. */
  private final ConsumerTimeout consumerTimeout;
  /** Told once the server is closed (its client forgets it). */
  private final Consumer<RpcServer> onClosed;
  /** Whether a recovery of the whole server (every shard, the control channel) is under way. Guarded by this. */
  private boolean recoveringAll;
  private final CountDownLatch closeSignal = new CountDownLatch(1);
  private final AtomicBoolean finishing = new AtomicBoolean();
  private AmqpTransport transport;
  /** Declares the queue and receives cancel notices, apart from the intake so that a burst of requests never delays a cancel. */
  private Channel control;
  private volatile State state = State.STARTING;
  private volatile boolean closed;
  /** When {@link #beginClose()} ran ({@link System#nanoTime()}): the grace is counted from it. Set before {@link #closed}. */
  private volatile long closeBeganNanos;

  /**
   * @param shards the shards to serve, valid and distinct (the client checks them)
   * @param prefetch the prefetch, all shards together: as set, or the workers' count if adaptive
   * @param onClosed told once the server is closed
   */
  RpcServer(Dispatcher dispatcher, int[] shards, ServerWorkers workers, int prefetch, boolean adaptivePrefetch,
      Duration shutdownGrace, QueueSettings queueSettings, Consumer<RpcServer> onClosed) {
    this.dispatcher = dispatcher;
    List<ServiceDescriptor> shardViews = new ArrayList<>();
    for (int shard : shards) {
      shardViews.add(dispatcher.service.shard(shard));
    }
    this.served = List.copyOf(shardViews);
    this.shutdownGrace = shutdownGrace;
    this.onClosed = onClosed;
    this.queues = new ServerQueues(queueSettings, dispatcher.service.shards > 1);
    this.consumerTimeout = new ConsumerTimeout(dispatcher.service.methods(), shutdownGrace);
    String queue = dispatcher.service.queue;
    this.workers = workers;
    this.prefetchChanges = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        Threads.daemon("rabbit-rpc-prefetch-" + queue));
    this.prefetchChanges.allowCoreThreadTimeOut(true); // a server whose prefetch is steady holds no thread
    this.intakes = new ServerIntakes(this, dispatcher, served, prefetch, adaptivePrefetch, shutdownGrace,
        consumerTimeout, this.workers, prefetchChanges, System::nanoTime, this::lost);
  }

  /**
   * Serves {@code implementation} on the process-wide default client (see {@link RpcProxy}).
   *
   * @throws IllegalArgumentException if {@code service} is not a valid service interface
   * @throws RpcException {@code UNAVAILABLE} if the broker cannot be reached; {@code INTERNAL}
   *     if it refuses the queue (the message has its reply code and text)
   */
  public static <T> RpcServer export(Class<T> service, T implementation) {
    return RpcClient.defaultClient().export(service, implementation);
  }

  /**
   * The service's queue: the one this server consumes, or for a sharded service the name its shard
   * queues are named after ({@code orders} for {@code orders.0} to {@code orders.3}); a proxy made
   * with {@code client.proxy(Svc.class, server.queue())} calls this service.
   */
  public String queue() {
    return dispatcher.service.serviceQueue;
  }

  /**
   * The queues this server consumes, in shard order: {@link #queue()} alone for a service of one
   * shard; else the queues of the shards it serves. Each has its own consumer, whose prefetch is its
   * share of {@link ServerBuilder#prefetch(int)}: the total split evenly, the first shards
   * taking one more where it does not divide, and at least one each. So a server never holds more
   * requests than its prefetch, unless it serves more shards than that (then one per shard).
   */
  public List<String> queues() {
    List<String> names = new ArrayList<>(served.size());
    for (ServiceDescriptor shard : served) {
      names.add(shard.queue);
    }
    return names;
  }

  /** Where the server is in its life; thread-safe, a read of a volatile field. */
  public State state() {
    return state;
  }

  /**
   * The server's counters now, one immutable snapshot: failed one-way requests, requests answered
   * without running (expired, cancelled) and requests refused by reason. Thread-safe.
   */
  public ServerStats stats() {
    return ServerStats.of(dispatcher, intakes.failedOneWayCount());
  }

  /**
   * The requests its consumers may hold now, all shards together: the prefetch, as set or as
   * {@link FlowControl} has it at the defaults (tests observe it).
   */
  int prefetchNow() {
    return intakes.prefetchNow();
  }

  /** The cancel notices this server has received and remembers (tests observe it). */
  Cancellations cancellations() {
    return dispatcher.cancellations;
  }

  synchronized void start(AmqpTransport transport) {
    this.transport = transport;
    // amqp-client recovers the workers' channels with the connection, unless the transport gives up
    // on that recovery and aborts the connection: then the server serves again on a new one itself.
    transport.onConnectionAbandoned(abandoned);
    try {
      boolean rabbitMq = transport.isRabbitMq();
      boolean perConsumerTimeout = rabbitMq && ConsumerTimeout.perConsumer(transport.brokerVersion());
      if (rabbitMq && !perConsumerTimeout && consumerTimeout.exceedsBroker()) {
        log.warn("{}: {} may run longer than RabbitMQ's default consumer_timeout ({} min), and RabbitMQ {} takes no"
            + " per-consumer value (3.12 and later do): raise consumer_timeout on the node, or a request that runs"
            + " longer than it costs the server's channel, and its requests are redelivered", this,
            consumerTimeout.methodsBeyondBroker(shutdownGrace),
            TimeUnit.MILLISECONDS.toMinutes(consumerTimeout.brokerMillis()), transport.brokerVersion());
      }
      intakes.connect(transport::openChannel, transport.messageSizeLimit, rabbitMq, perConsumerTimeout);
      serve();
      state = State.SERVING;
    } catch (IOException | RuntimeException e) {
      closed = true;
      state = State.CLOSED;
      closeChannels();
      transport.removeConnectionAbandoned(abandoned);
      throw ServerQueues.failure(e, queues(), transport.brokerDescription);
    }
  }

  /** Declares the queues (or finds them), listens for cancels and starts consuming each; under this lock. */
  private void serve() throws IOException {
    control = transport.openChannel();
    for (ServiceDescriptor shard : served) {
      queues.declare(transport::openChannel, shard.queue);
    }
    ServerQueues.listenForCancels(control, queues(), dispatcher.cancellations, dispatcher.streams);
    for (int i = 0; i < served.size(); i++) {
      intakes.consume(i);
    }
  }

  /**
   * The intake lost its consumer or channel: unless closing, serve its shard again on a fresh
   * channel (the other shards keep serving), on a thread of its own, with back-off. Once per loss.
   */
  private void lost(ServerIntake intake, String why) {
    synchronized (this) {
      if (closed || recoveringAll || !intakes.remove(intake)) {
        return;
      }
      state = State.RECOVERING;
    }
    log.warn("{}; {} serves {} again as soon as it can", why, this, intake.queue());
    Threads.daemon("rabbit-rpc-server-recovery").newThread(() -> recover(intake)).start();
  }

  private final Runnable abandoned = this::connectionAbandoned;

  /** The connection is gone for good: every shard and the control channel are served again, on a new one. */
  private void connectionAbandoned() {
    synchronized (this) {
      if (closed || recoveringAll) {
        return;
      }
      recoveringAll = true;
      state = State.RECOVERING;
    }
    log.warn("the recovery of the connection of {} was abandoned; it serves again as soon as it can", this);
    Threads.daemon("rabbit-rpc-server-recovery").newThread(() -> recover(null)).start();
  }

  /**
   * Retries serving, 100 ms doubling to 5 s, jittered, until it serves or the server closes: the
   * lost intake's shard, or with null everything (retiring every intake and the control channel).
   */
  private void recover(ServerIntake lostIntake) {
    if (lostIntake != null) {
      lostIntake.retire(); // stops what is left of it; its requests still finish on its channel
    }
    long delay = FIRST_RETRY_MILLIS;
    for (int attempt = 1; ; attempt++) {
      try {
        long jittered = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        if (closeSignal.await(jittered, TimeUnit.MILLISECONDS)) {
          return;
        }
      } catch (InterruptedException e) {
        return; // only a daemon thread of this server's own
      }
      synchronized (this) {
        if (closed || lostIntake != null && (recoveringAll || intakes.isConsuming(lostIntake.shard))) {
          return; // a whole recovery took over, or serves the shard already
        }
        try {
          // The control channel gone too (a connection lost that amqp-client does not recover):
          // the cancel queue went with it, so everything is served again, on a new connection.
          if (lostIntake == null || control == null || !control.isOpen()) {
            retireAll();
            serve();
            recoveringAll = false;
          } else {
            queues.declare(transport::openChannel, lostIntake.queue());
            intakes.consume(served.indexOf(lostIntake.shard));
          }
          if (intakes.allConsuming()) {
            state = State.SERVING;
          }
          log.info("{} serves {} again (attempt {})", this, lostIntake == null ? "its queues" : lostIntake.queue(),
              attempt);
          return;
        } catch (IOException | RuntimeException e) {
          log.warn("{} cannot serve {} yet (attempt {}): {}", this,
              lostIntake == null ? "its queues" : lostIntake.queue(), attempt, IntakeChannel.describe(e));
        }
      }
      delay = Math.min(delay * 2, MAX_RETRY_MILLIS);
    }
  }

  /** Retires the consuming intakes and closes the control channel; under this lock. */
  private void retireAll() {
    intakes.retireAll();
    if (control != null) {
      IntakeChannel.closeQuietly(control, queue());
      control = null;
    }
  }

  /**
   * Stops taking requests, runs those already delivered and lets calls already running finish
   * within the server's shutdown grace, then interrupts those still running and closes the
   * channels; requests not finished by then go back to the queue. Idempotent.
   */
  @Override
  public void close() {
    beginClose();
    awaitClosed();
  }

  /**
   * Like {@link #close()}, then deletes the queue if this server declared it (it did not exist when
   * the server started) and nothing else uses it: {@code queue.delete} with if-unused and if-empty,
   * so a queue that another server consumes, or that holds requests, stays. For programs that
   * should leave the broker as they found it, such as the tutorial's server. A sharded server does
   * so for each of its queues.
   *
   * @return whether every queue this server declared was deleted (false if it declared none)
   */
  public boolean closeAndDeleteCreatedQueue() {
    close();
    return transport != null && queues.deleteCreated(transport::openChannel);
  }

  /** Stops consuming, without waiting; the first step of {@link #close()}. Idempotent. */
  void beginClose() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closeBeganNanos = System.nanoTime();
      closed = true;
      state = State.CLOSING;
    }
    closeSignal.countDown();
    intakes.beginClose(closeBeganNanos);
  }

  /**
   * Waits until the requests delivered before {@link #beginClose()} are settled, or until the grace
   * counted from it ends, then closes the channels. Returns at once if another thread is doing it.
   */
  void awaitClosed() {
    if (!finishing.compareAndSet(false, true)) {
      return;
    }
    intakes.awaitDrained(closeBeganNanos + shutdownGrace.toNanos());
    closeChannels();
    if (transport != null) {
      transport.removeConnectionAbandoned(abandoned);
    }
    state = State.CLOSED;
    onClosed.accept(this);
  }

  private synchronized void closeChannels() {
    dispatcher.cancellations.interruptAll(); // handlers still running after the grace period
    intakes.closeAll();
    if (control != null) {
      IntakeChannel.closeQuietly(control, queue());
    }
    workers.shutdown(); // its threads end with the requests still running, which were interrupted
    prefetchChanges.shutdown();
  }

  @Override
  public String toString() {
    return "RpcServer[" + dispatcher.service.type.getSimpleName() + " on queue"
        + (served.size() == 1 ? " " + served.get(0).queue : "s " + String.join(",", queues()))
        + (transport == null ? "" : ", broker=" + transport.brokerDescription) + (closed ? ", closed]" : "]");
  }
}
