package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
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
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@code @Deduplicated} method at most once per call key (docs/PROTOCOL.md, "Replayed
 * replies"). At the end of the server interceptors' chain (so that they see every request, replays
 * included, and an authenticating one refuses before any claim) it claims the key in the server's
 * {@link ReplyStore}, then runs the method around the claim; once the outcome is done it keeps the
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
   * What the chain's end found for one request, read once its outcome is done: the claim it runs
   * under, or the reply it replays; neither if it refused (busy, conflict, store failure) or an
   * interceptor never reached it. Set on the worker, read on the thread that completes the outcome.
   */
  static final class Claimed {
    volatile ReplyStore.Run run;
    volatile StoredReply replay;
  }

  /**
   * The end of the server interceptors' chain for a request with a call key: claims the key, then
   * runs the method around the claim ({@code invoke}), or finds the kept reply (the outcome is then
   * null and {@code claimed.replay} the reply), or fails typed without running: busy, conflict, the
   * store failed, or a redelivery a store that does not outlive servers cannot judge.
   */
  CompletableFuture<Object> claimAndRun(Claimed claimed, MethodDescriptor method, WireFormat format, String key,
      byte[] body, boolean redelivered, Deadline deadline, Supplier<CompletableFuture<Object>> invoke) {
    ReplyStore.Claim claim;
    try {
      claim = store.claim(scope, key, fingerprint(method, format, body),
          Duration.ofMillis(method.deduplication.retentionMillis), waitFor(deadline));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failed(Code.UNAVAILABLE, method.wireName + ": the server stopped while claiming call key " + key);
    } catch (Exception e) {
      log.warn("the reply store failed to claim call key {} of {}", key, method.key, e);
      return failed(Code.UNAVAILABLE, method.wireName + ": the server's reply store failed to claim call key "
          + key + " (" + e + "); the call did not run");
    }
    if (claim instanceof ReplyStore.Replay replay) {
      replayed.increment();
      if (replay.waited()) {
        waits.increment();
      }
      claimed.replay = replay.reply();
      return CompletableFuture.completedFuture(null);
    }
    if (claim instanceof ReplyStore.Busy) {
      waits.increment();
      busy.increment();
      return failed(Code.DEADLINE_EXCEEDED, method.wireName + ": an earlier attempt of the call with key " + key
          + " is still running, and did not finish within the deadline; a retry gets its reply once it has one");
    }
    if (claim instanceof ReplyStore.Conflict) {
      return failed(Code.INVALID_ARGUMENT, method.wireName + ": call key " + key + " was used before for another"
          + " request (another method, other arguments or another format); a key names one call");
    }
    ReplyStore.Run run = (ReplyStore.Run) claim;
    if (redelivered && !store.durable()) {
      // Redelivered: its server died holding it. This store cannot know whether that server ran it.
      run.abandon();
      return failed(Code.UNAVAILABLE, "the request for " + method.wireName + " was redelivered after a server failure"
          + " and may or may not have run; it is not run again because the server's reply store ("
          + store.getClass().getSimpleName() + ") does not outlive a server");
    }
    claimed.run = run;
    try {
      return run.around(invoke);
    } catch (RuntimeException e) {
      // The method's own failures are its future's (invoke never throws): this is the store's, or its
      // binding's (Spring's rollback-only). Nothing is kept; the interceptors see the INTERNAL answer.
      claimed.run = null;
      run.abandon();
      return CompletableFuture.failedFuture(new RpcException(Code.INTERNAL, method.wireName + ": the run of call key "
          + key + " failed around the method, so nothing of it is kept: " + e, e));
    } catch (Error e) {
      claimed.run = null;
      run.abandon();
      throw e;
    }
  }

  private static CompletableFuture<Object> failed(Code code, String message) {
    return CompletableFuture.failedFuture(new RpcException(code, message));
  }

  /**
   * Replies to a request the chain has run: the kept reply again ({@code rpc-replayed}); or the
   * run's reply, kept first (or its claim abandoned); or, if nothing was claimed, the outcome as any
   * request's. The caller hears at its deadline at the latest; a run's reply is still kept when it
   * comes, for a retry.
   */
  void reply(Claimed claimed, Invocation invocation, MethodDescriptor method, WireFormat format, String key,
      Deadline deadline, ReplySink sink) {
    CompletableFuture<Answer> answer = invocation.outcome().handle((value, failure) -> {
      StoredReply replay = claimed.replay;
      if (replay != null) {
        return new Answer(replay, true);
      }
      ReplyStore.Run run = claimed.run;
      if (run == null) {
        Captured captured = new Captured();
        writer.outcome(captured, format, method, value, failure);
        return new Answer(new StoredReply(captured.status, captured.body, invocation.replyHeaders()), false);
      }
      return new Answer(keep(run, method, format, key, value, failure, invocation.replyHeaders()), false);
    });
    if (!answer.isDone() && deadline != null) {
      answer = answer.copy().orTimeout(Math.max(1, deadline.remainingMillisCeil()), TimeUnit.MILLISECONDS);
    }
    answer.whenComplete((done, failure) -> {
      if (failure == null) {
        StoredReply reply = done.reply();
        if (done.replayed()) {
          sink.replayed(reply.status(), reply.body(), reply.headers());
        } else {
          sink.reply(reply.status(), reply.body(), reply.headers());
        }
      } else if (ReplyWriter.unwrap(failure) instanceof TimeoutException) {
        writer.error(sink, format, Code.DEADLINE_EXCEEDED, null, method.wireName + " did not complete before the caller's deadline");
      } else {
        writer.error(sink, format, Code.INTERNAL, null, "the server failed to reply to " + method.wireName + ": "
            + ReplyWriter.unwrap(failure));
      }
    });
  }

  /** The reply to send, and whether it is a kept one sent again. */
  private record Answer(StoredReply reply, boolean replayed) {}

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
