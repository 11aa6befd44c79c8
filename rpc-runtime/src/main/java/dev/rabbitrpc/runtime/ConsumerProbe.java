package dev.rabbitrpc.runtime;

import com.rabbitmq.client.Channel;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fails calls fast when their queue exists but nothing consumes it (every server is down), instead
 * of at their deadline. A call that has no reply after {@link #PROBE_AFTER_NANOS} (or a quarter of
 * its timeout, if shorter) gets its queue probed with a passive {@code queue.declare}; a consumer
 * count of 0 fails every such call to that queue with {@code UNAVAILABLE}.
 *
 * <p>It costs nothing per call: a sweep of the pending calls every {@link #SWEEP_NANOS} collects the
 * queues to probe, and the probe runs on its own thread with its own channel, so a slow broker
 * never delays deadlines. Detection takes between the probe delay and that plus one sweep and one
 * broker round trip.
 *
 * <p>Every answer also records the queue's messages ready and consumers in the router's {@link
 * QueueCounts}, which the messages of expiring calls draw on; a call that expires when that count is
 * old asks for a recount ({@link #recount}), rate-limited there, run on the same thread.
 */
final class ConsumerProbe {
  private static final Logger log = LoggerFactory.getLogger(ConsumerProbe.class);
  static final long PROBE_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final AmqpTransport transport;
  private final ReplyRouter router;
  private final ClientTimer timer;
  private final ExecutorService prober = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
      new LinkedBlockingQueue<>(), Threads.daemon("rpc-consumer-probe"));
  private final AtomicBoolean probing = new AtomicBoolean();
  private final AtomicBoolean started = new AtomicBoolean();
  private Channel channel;

  ConsumerProbe(AmqpTransport transport, ReplyRouter router, ClientTimer timer) {
    this.transport = transport;
    this.router = router;
    this.timer = timer;
    router.queueCounts.recounter(this::recount);
  }

  /** Counts {@code queue} once more on the probe's thread, for the calls that expire next; never waited for. */
  private void recount(String queue) {
    try {
      prober.execute(() -> consumerCount(queue));
    } catch (java.util.concurrent.RejectedExecutionException shutDown) {
      // the client is closing: nobody will read the count
    }
  }

  /** Starts sweeping on the first call; idempotent and cheap. */
  void ensureStarted() {
    if (!started.get() && started.compareAndSet(false, true)) {
      timer.every(this::sweep, SWEEP_NANOS);
    }
  }

  private void sweep() {
    if (probing.get() || router.pendingCount() == 0) {
      return;
    }
    long now = System.nanoTime();
    Set<String> queues = router.queuesWaitingSince(now);
    if (queues.isEmpty() || !probing.compareAndSet(false, true)) {
      return;
    }
    prober.execute(() -> {
      try {
        for (String queue : queues) {
          if (consumerCount(queue) == 0) {
            router.failAll(call -> call.queue.equals(queue) && call.probeAtNanos - now <= 0,
                call -> new RpcException(Code.UNAVAILABLE, call.method.key + ": no server consumes queue " + queue));
          }
        }
      } finally {
        probing.set(false);
      }
    });
  }

  /** Consumers of the queue; 0 if it does not exist; -1 if the broker cannot be asked now. */
  private int consumerCount(String queue) {
    try {
      if (channel == null || !channel.isOpen()) {
        if (channel != null) {
          abort(channel); // closed some other way: forgotten too, as below
        }
        channel = transport.openChannel();
      }
      long askedAt = System.nanoTime(); // the count describes the queue at this instant or later
      com.rabbitmq.client.AMQP.Queue.DeclareOk ok = channel.queueDeclarePassive(queue);
      // RabbitMQ counts the messages ready only; Qpid those delivered and unacknowledged too.
      router.queueCounts.counted(queue, ok.getMessageCount(), ok.getConsumerCount(), askedAt,
          transport.connectedToRabbitMq());
      return ok.getConsumerCount();
    } catch (IOException e) {
      // 404: the queue is gone, so nothing consumes it. The 404 closed the channel: aborting it now
      // also makes amqp-client forget it, which would otherwise reopen it on every connection recovery.
      abort(channel);
      channel = null;
      return isNotFound(e) ? 0 : -1;
    } catch (RuntimeException e) {
      log.debug("consumer probe of {} failed: {}", queue, e.toString());
      return -1;
    }
  }

  private static void abort(Channel closed) {
    try {
      closed.abort();
    } catch (IOException | RuntimeException alreadyClosed) {
      // gone either way
    }
  }

  private static boolean isNotFound(IOException e) {
    return String.valueOf(e.getCause()).contains("NOT_FOUND");
  }

  void shutdown() {
    prober.shutdownNow();
  }
}
