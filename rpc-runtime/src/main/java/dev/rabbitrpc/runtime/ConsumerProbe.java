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
 * count of 0 that holds for {@link #CONFIRM_NANOS} (asked again at each sweep meanwhile) fails every
 * such call to that queue with {@code UNAVAILABLE} — but a call whose request a closing server said it took (a {@code taken} notice, docs/PROTOCOL.md, "Closing a server"), until that server's
 * shutdown grace is over: the request is running, not waiting in the queue. The confirmation is
 * what lets that notice count: it travels on the reply channel and is handled on the client's
 * consumer threads, while the count comes on the probe's own channel, so a count of 0 taken just
 * after a server stopped consuming could otherwise be read before the notice the server sent before
 * it (a CI run on a loaded machine saw exactly that); and a server that consumes again at once (a
 * restart, a prefetch change) does not fail the calls waiting for it.
 *
 * <p>It costs nothing per call: a sweep of the pending calls every {@link #SWEEP_NANOS} collects the
 * queues to probe, and the probe runs on its own thread with its own channel, so a slow broker
 * never delays deadlines. Detection takes the probe delay plus the confirmation, plus at most one
 * sweep and a broker round trip per probe (about 0.9 s).
 *
 * <p>While a queue's count keeps saying it has consumers (a backlog: servers saturated, not gone),
 * it is asked again only after a back-off that doubles from {@link #PROBE_AFTER_NANOS} to {@link
 * #MAX_BACKOFF_NANOS}, so that a backlog costs each client a few declares, not ten a second per
 * queue (docs/SCALING.md): every client asks for itself, and thousands of clients in a backlog
 * would otherwise multiply into broker traffic on the node that is already the bottleneck. The
 * back-off ends when no call waits on the queue any more, or a count says 0 or cannot be had; a
 * server that leaves during a backlog is noticed within the back-off reached then.
 *
 * <p>Every answer also records the queue's messages ready and consumers in the router's {@link
 * QueueCounts}, which the messages of expiring calls draw on; a call that expires when that count is
 * old asks for a recount ({@link #recount}), rate-limited there, run on the same thread.
 */
final class ConsumerProbe {
  private static final Logger log = LoggerFactory.getLogger(ConsumerProbe.class);
  static final long PROBE_AFTER_NANOS = PendingCall.PROBE_AFTER_NANOS;
  static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(4);
  /** How long a queue must have answered "no consumer" before its calls are failed. */
  static final long CONFIRM_NANOS = TimeUnit.MILLISECONDS.toNanos(300);

  /** A queue that had consumers when last asked: not asked again before {@code next}. */
  private record Quiet(long nextNanos, long backoffNanos) {}

  /** Read and written on the timer's thread (the sweep) and the probe's thread. */
  private final java.util.concurrent.ConcurrentHashMap<String, Quiet> quiet = new java.util.concurrent.ConcurrentHashMap<>();
  /** Queues that answered "no consumer", since when (nanoTime); read and written on the same two threads. */
  private final java.util.concurrent.ConcurrentHashMap<String, Long> emptySince = new java.util.concurrent.ConcurrentHashMap<>();

  private final AmqpTransport transport;
  private final ReplyRouter router;
  private final ClientTimer timer;
  private final ExecutorService prober = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
      new LinkedBlockingQueue<>(), Threads.daemon("rpc-consumer-probe"));
  private final AtomicBoolean probing = new AtomicBoolean();
  /** Queues asked by the sweep (not recounts): what a backlog costs the broker, per client. */
  private final java.util.concurrent.atomic.LongAdder asked = new java.util.concurrent.atomic.LongAdder();
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
    quiet.keySet().retainAll(queues); // a queue nobody waits on any more starts afresh
    emptySince.keySet().retainAll(queues);
    queues.removeIf(queue -> {
      Quiet q = quiet.get(queue);
      return q != null && now - q.nextNanos < 0;
    });
    if (queues.isEmpty() || !probing.compareAndSet(false, true)) {
      return;
    }
    prober.execute(() -> {
      try {
        for (String queue : queues) {
          asked.increment();
          int consumers = consumerCount(queue);
          if (consumers == 0) {
            quiet.remove(queue);
            long seen = System.nanoTime();
            Long since = emptySince.putIfAbsent(queue, seen);
            if (since == null || seen - since < CONFIRM_NANOS) {
              continue; // not yet confirmed: asked again at the next sweep
            }
            emptySince.remove(queue);
            // A call whose request a closing server took is not in the queue but running: it is
            // failed only once that server's grace is over without a reply (docs/PROTOCOL.md, "Closing a server").
            long verdict = System.nanoTime();
            router.failAll(call -> call.queue.equals(queue) && call.probeAtNanos - now <= 0
                    && !call.heldByServerAt(verdict),
                call -> new RpcException(Code.UNAVAILABLE, call.wasTaken()
                    ? call.method.key + ": the server that took the request closed without answering it within its"
                        + " shutdown grace, and no server consumes queue " + queue + "; it may have run"
                    : call.method.key + ": no server consumes queue " + queue));
          } else if (consumers > 0) {
            emptySince.remove(queue);
            Quiet last = quiet.get(queue);
            long backoff = last == null ? PROBE_AFTER_NANOS : Math.min(2 * last.backoffNanos, MAX_BACKOFF_NANOS);
            quiet.put(queue, new Quiet(System.nanoTime() + backoff, backoff));
          } else {
            quiet.remove(queue); // no answer now: asked again at the next sweep
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

  /** How many times a sweep asked the broker about a queue. */
  long asked() {
    return asked.sum();
  }

  void shutdown() {
    prober.shutdownNow();
  }
}
