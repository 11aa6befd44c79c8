package dev.rabbitrpc.runtime;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Where a server keeps the replies of {@link dev.rabbitrpc.api.Deduplicated @Deduplicated} methods
 * by call key, so that a call is run at most once however often it is retried or redelivered
 * (docs/guide/replayed-replies.md). Set with {@link ServerBuilder#replyStore}.
 *
 * <p>For each request that carries a call key the server first {@linkplain #claim claims} the key:
 * <ul>
 *   <li>{@link Run}: the key is new (or its earlier run was abandoned): the server runs the method
 *       {@linkplain Run#around around} the store, then {@linkplain Run#complete completes} the claim with the
 *       reply before sending it, or {@linkplain Run#abandon abandons} it if the method did not answer
 *       (an undeclared exception, an {@code RpcException}, its deadline): a later attempt may run it again.
 *   <li>{@link Replay}: the key's call has completed: its stored reply is sent, nothing runs.
 *   <li>{@link Busy}: the key's call is still running elsewhere after waiting as long as allowed.
 *   <li>{@link Conflict}: the key was used for another request (other method, arguments or format).
 * </ul>
 *
 * <p>The two implementations: {@link InMemoryReplyStore} (one server process) and
 * {@link JdbcReplyStore} (a database shared by every server of the queue; the claim, the handler's
 * own writes and the reply commit in one transaction). A user's store implements this interface.
 *
 * <p>Threading: implementations must be thread-safe; {@link #claim} is called on the server's
 * workers, many at once, and may block up to its {@code wait}. A {@link Run} is used by one request:
 * {@code around} and, for a synchronous method, {@code complete} or {@code abandon} on the worker that
 * claimed it; for an asynchronous method, those on the thread that completes its future.
 */
public interface ReplyStore extends AutoCloseable {

  /**
   * Claims {@code key} for a run, or finds its call completed, running, or another's.
   *
   * @param scope the service's queue (its base name if sharded): keys are unique within it
   * @param key the call key ({@code rpc-call-key}), 1 to 200 characters
   * @param fingerprint the request's SHA-256 over its method, format and body: a key reused for
   *     another request is a {@link Conflict}
   * @param retention how long a completed call's reply must be kept
   * @param wait how long to wait for a run of the key in progress elsewhere to finish; then {@link Busy}
   * @throws Exception if the store cannot answer (the caller gets {@code UNAVAILABLE} and may retry)
   */
  Claim claim(String scope, String key, byte[] fingerprint, Duration retention, Duration wait) throws Exception;

  /**
   * Whether a key this store does not know cannot have completed a run: true for a store whose
   * claims survive the server process and whose runs commit their effects with their reply
   * ({@link JdbcReplyStore}); false for {@link InMemoryReplyStore}, whose process may have died
   * after running a call. A request the broker redelivers (its server died) whose key is new is run
   * only by a durable store; otherwise it is answered {@code UNAVAILABLE}, as for a method that is
   * not {@code @Idempotent}.
   */
  boolean durable();

  /** Releases what the store holds (threads, connections); the default does nothing. */
  @Override
  default void close() {}

  /** The answer to {@link #claim}. */
  sealed interface Claim permits Run, Replay, Busy, Conflict {}

  /** The key is this request's: run the method, then complete or abandon the claim, exactly once. */
  non-sealed interface Run extends Claim {
    /**
     * Runs the handler inside the claim: a transactional store makes its transaction the handler's
     * (see {@link JdbcReplyStore#connection()}). The default just runs it. The handler does not throw
     * (the method's failures are the outcome it returns); an exception thrown here is the store's own:
     * the claim is abandoned and the caller is answered {@code INTERNAL} with it.
     */
    default <T> T around(Supplier<T> handler) {
      return handler.get();
    }

    /**
     * Keeps {@code reply} for the key until its retention has passed and releases the claim: a
     * duplicate waiting for it, and every later one, gets the reply.
     *
     * @throws Exception if it could not be kept: then the claim is released as if abandoned, and
     *     the caller is answered {@code UNAVAILABLE}
     */
    void complete(StoredReply reply) throws Exception;

    /** Releases the claim without a reply: the next attempt with the key runs the method. Never throws. */
    void abandon();
  }

  /**
   * The key's call completed earlier: send its reply again.
   *
   * @param reply the stored reply
   * @param waited whether the claim waited for the run in progress to finish
   */
  record Replay(StoredReply reply, boolean waited) implements Claim {}

  /** The key's call was still running elsewhere when the claim's wait ended. */
  record Busy() implements Claim {}

  /** The key was claimed for another request: other method, arguments or format. */
  record Conflict() implements Claim {}
}
