package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException.Code;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@code @Deduplicated} method at most once per call key (docs/PROTOCOL.md, "Replayed
 * replies"): claims the key in the server's {@link ReplyStore}, then runs the method and keeps its
 * reply before sending it, or sends the reply kept for an earlier attempt ({@code rpc-replayed}),
 * or answers why it can do neither.
 *
 * <p>What is kept: a result, and a declared exception (part of the method's contract, as a checked
 * exception commits a Spring transaction). What is not (the claim is abandoned, and with a
 * transactional store the handler's writes roll back): an undeclared exception, an {@code
 * RpcException} the handler threw, a result too large to send. A later attempt runs those again.
 *
 * <p>Thread-safe: any number of workers at once.
 */
final class Deduplicator {
  private static final Logger log = LoggerFactory.getLogger(Deduplicator.class);
  /** The longest a duplicate waits for a run in progress when its request has no deadline. */
  static final Duration NO_DEADLINE_WAIT = Duration.ofSeconds(30);

  private final String scope;
  private final ReplyStore store;
  private final ReplyWriter writer;
  private final LongAdder replayed = new LongAdder();
  private final LongAdder waits = new LongAdder();
  private final LongAdder busy = new LongAdder();

  Deduplicator(String scope, ReplyStore store, ReplyWriter writer) {
    this.scope = scope;
    this.store = store;
    this.writer = writer;
  }

  /**
   * Claims {@code key} and runs, replays or refuses the request.
   *
   * @param start runs the method with the given sink for the replies it makes on its own (expired,
   *     cancelled: then it returns null, and nothing is kept); else its outcome, replied here
   */
  void dispatch(MethodDescriptor method, WireFormat format, String key, byte[] body, boolean redelivered,
      Deadline deadline, ReplySink sink, Function<ReplySink, Invocation> start) {
    ReplyStore.Claim claim;
    try {
      claim = store.claim(scope, key, fingerprint(method, format, body),
          Duration.ofMillis(method.deduplication.retentionMillis), waitFor(deadline));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      writer.error(sink, format, Code.UNAVAILABLE, null, method.wireName + ": the server stopped while claiming call key " + key);
      return;
    } catch (Exception e) {
      log.warn("the reply store failed to claim call key {} of {}", key, method.key, e);
      writer.error(sink, format, Code.UNAVAILABLE, null, method.wireName + ": the server's reply store failed to claim call key "
          + key + " (" + e + "); the call did not run");
      return;
    }
    if (claim instanceof ReplyStore.Replay replay) {
      replayed.increment();
      if (replay.waited()) {
        waits.increment();
      }
      StoredReply reply = replay.reply();
      sink.replayed(reply.status(), reply.body(), reply.headers());
    } else if (claim instanceof ReplyStore.Busy) {
      waits.increment();
      busy.increment();
      writer.error(sink, format, Code.DEADLINE_EXCEEDED, null, method.wireName + ": an earlier attempt of the call with key "
          + key + " is still running, and did not finish within the deadline; a retry gets its reply once it has one");
    } else if (claim instanceof ReplyStore.Conflict) {
      writer.error(sink, format, Code.INVALID_ARGUMENT, null, method.wireName + ": call key " + key
          + " was used before for another request (another method, other arguments or another format); a key names one call");
    } else {
      run((ReplyStore.Run) claim, method, format, key, redelivered, deadline, sink, start);
    }
  }

  private void run(ReplyStore.Run run, MethodDescriptor method, WireFormat format, String key, boolean redelivered,
      Deadline deadline, ReplySink sink, Function<ReplySink, Invocation> start) {
    if (redelivered && !store.durable()) {
      // Redelivered: its server died holding it. This store cannot know whether that server ran it.
      run.abandon();
      writer.error(sink, format, Code.UNAVAILABLE, null, "the request for " + method.wireName
          + " was redelivered after a server failure and may or may not have run; it is not run again because the"
          + " server's reply store (" + store.getClass().getSimpleName() + ") does not outlive a server");
      return;
    }
    Invocation invocation;
    try {
      invocation = run.around(() -> start.apply(sink));
    } catch (RuntimeException | Error e) {
      run.abandon();
      throw e;
    }
    if (invocation == null) {
      run.abandon(); // answered without running: expired or cancelled
      return;
    }
    CompletableFuture<StoredReply> kept =
        invocation.outcome().handle((value, failure) -> keep(run, method, format, key, value, failure, invocation.replyHeaders()));
    if (!kept.isDone() && deadline != null) {
      // The caller hears at its deadline; the run's reply is still kept when it comes, for a retry.
      kept = kept.copy().orTimeout(Math.max(1, deadline.remainingMillisCeil()), TimeUnit.MILLISECONDS);
    }
    kept.whenComplete((reply, failure) -> {
      if (failure == null) {
        sink.reply(reply.status(), reply.body(), reply.headers());
      } else if (ReplyWriter.unwrap(failure) instanceof TimeoutException) {
        writer.error(sink, format, Code.DEADLINE_EXCEEDED, null, method.wireName + " did not complete before the caller's deadline");
      } else {
        writer.error(sink, format, Code.INTERNAL, null, "the server failed to reply to " + method.wireName + ": "
            + ReplyWriter.unwrap(failure));
      }
    });
  }

  /** Encodes the outcome as its reply, and keeps it or abandons the claim; the reply to send. */
  private StoredReply keep(ReplyStore.Run run, MethodDescriptor method, WireFormat format, String key, Object value,
      Throwable failure, Map<String, String> replyHeaders) {
    Captured captured = new Captured();
    writer.outcome(captured, format, method, value, failure);
    StoredReply reply = new StoredReply(captured.status, captured.body, replyHeaders);
    Throwable cause = failure == null ? null : ReplyWriter.unwrap(failure);
    boolean answered = captured.status.equals(WireHeaders.STATUS_OK)
        || (cause != null && captured.status.equals(Code.APPLICATION_ERROR.name()) && ReplyWriter.isDeclared(method, cause));
    if (!answered) {
      run.abandon();
      return reply;
    }
    try {
      run.complete(reply);
      return reply;
    } catch (Exception e) {
      log.warn("the reply store failed to keep the reply of {} for call key {}", method.key, key, e);
      run.abandon();
      Captured refused = new Captured();
      writer.error(refused, format, Code.UNAVAILABLE, null, method.wireName + ": the server's reply store failed to keep the"
          + " reply for call key " + key + " (" + e + "); a retry with the key gets the reply if it was kept, or runs the call"
          + (store.durable() ? "" : " again"));
      return new StoredReply(refused.status, refused.body, Map.of());
    }
  }

  /** How long a duplicate may wait for the run in progress: what is left of its deadline. */
  private static Duration waitFor(Deadline deadline) {
    return deadline == null ? NO_DEADLINE_WAIT : Duration.ofNanos(Math.max(0, deadline.remainingNanos()));
  }

  /** SHA-256 over the method's wire name, the format and the body: what makes two requests the same call. */
  static byte[] fingerprint(MethodDescriptor method, WireFormat format, byte[] body) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(method.wireName.getBytes(StandardCharsets.UTF_8));
      digest.update((byte) 0);
      digest.update(format.name().getBytes(StandardCharsets.US_ASCII));
      digest.update((byte) 0);
      return digest.digest(body);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** Replies sent again from the store, nothing run. */
  long replayedReplies() {
    return replayed.sum();
  }

  /** Requests that waited for a run of their key in progress (then replayed its reply, or gave up: {@link #busyRequests}). */
  long inProgressWaits() {
    return waits.sum();
  }

  /** Requests answered {@code DEADLINE_EXCEEDED} because their key's run was still in progress. */
  long busyRequests() {
    return busy.sum();
  }

  /** Keeps a reply instead of sending it. */
  private static final class Captured implements ReplySink {
    String status;
    byte[] body;

    @Override
    public void reply(String status, byte[] body) {
      this.status = status;
      this.body = body;
    }
  }
}
