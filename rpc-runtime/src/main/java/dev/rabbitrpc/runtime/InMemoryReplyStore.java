package dev.rabbitrpc.runtime;

import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A {@link ReplyStore} in the server's memory: replays a call's reply to the retries that reach the
 * same server process, and makes a duplicate wait for the run in progress.
 *
 * <p><b>When it is correct</b>: when one server process serves the queue for as long as a call may
 * be retried — a single server, or a sharded service whose shard queues have a single active consumer
 * each ({@code ServerBuilder.shards}) — and that process does not restart in that time. A retry that
 * reaches another process (or the same one restarted) is not known there and runs the method again;
 * a request the broker redelivers after its server died is answered {@code UNAVAILABLE} ("may have
 * run"), as for a method that is not {@code @Idempotent}. For several servers, or for effects that
 * must survive a crash, use {@link JdbcReplyStore}.
 *
 * <p>Memory: one entry per call key (its reply's body and headers) until its retention has passed;
 * expired entries are dropped at most once a minute, by the claim that finds them due.
 *
 * <p>Thread-safe: claims of different keys never wait for each other.
 */
public final class InMemoryReplyStore implements ReplyStore {
  private static final long PURGE_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final LongSupplier nanoTime;
  private final AtomicLong nextPurge;

  public InMemoryReplyStore() {
    this(System::nanoTime);
  }

  /** With an injected clock, for tests. */
  InMemoryReplyStore(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    this.nextPurge = new AtomicLong(nanoTime.getAsLong() + PURGE_EVERY_NANOS);
  }

  @Override
  public Claim claim(String scope, String key, byte[] fingerprint, Duration retention, Duration wait)
      throws InterruptedException {
    purgeIfDue();
    String id = scope + '\u0000' + key;
    long waitUntil = nanoTime.getAsLong() + wait.toNanos();
    while (true) {
      Entry mine = new Entry(fingerprint);
      Entry existing = entries.putIfAbsent(id, mine);
      if (existing == null) {
        return new MemoryRun(id, mine, retention);
      }
      if (existing.expired(nanoTime.getAsLong())) {
        entries.remove(id, existing);
        continue;
      }
      if (!Arrays.equals(existing.fingerprint, fingerprint)) {
        return new Conflict();
      }
      boolean waited = !existing.reply.isDone();
      StoredReply reply;
      try {
        reply = existing.reply.get(Math.max(0, waitUntil - nanoTime.getAsLong()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        return new Busy();
      } catch (ExecutionException e) {
        throw new IllegalStateException("an entry's reply never fails", e);
      }
      if (reply != null) {
        return new Replay(reply, waited);
      }
      // Abandoned (removed by its run): claim it again, or find the next claimant's.
    }
  }

  /** Not durable: a restarted process knows no keys, and cannot tell whether a redelivered request ran. */
  @Override
  public boolean durable() {
    return false;
  }

  /** The number of keys it holds, running or completed, expired ones not yet dropped included. */
  public int size() {
    return entries.size();
  }

  /** Drops every entry. */
  @Override
  public void close() {
    entries.clear();
  }

  private void purgeIfDue() {
    long now = nanoTime.getAsLong();
    long due = nextPurge.get();
    if (now - due < 0 || !nextPurge.compareAndSet(due, now + PURGE_EVERY_NANOS)) {
      return;
    }
    for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
      if (it.next().expired(now)) {
        it.remove();
      }
    }
  }

  @Override
  public String toString() {
    return "InMemoryReplyStore[" + entries.size() + " keys]";
  }

  /** One key: running until its reply completes (null: abandoned), then kept until {@code expiresAt}. */
  private static final class Entry {
    final byte[] fingerprint;
    final CompletableFuture<StoredReply> reply = new CompletableFuture<>();
    volatile long expiresAtNanos;
    volatile boolean completed;

    Entry(byte[] fingerprint) {
      this.fingerprint = fingerprint.clone();
    }

    boolean expired(long now) {
      return completed && now - expiresAtNanos >= 0;
    }
  }

  private final class MemoryRun implements Run {
    private final String id;
    private final Entry entry;
    private final Duration retention;

    MemoryRun(String id, Entry entry, Duration retention) {
      this.id = id;
      this.entry = entry;
      this.retention = retention;
    }

    @Override
    public void complete(StoredReply reply) {
      entry.expiresAtNanos = nanoTime.getAsLong() + retention.toNanos();
      entry.completed = true;
      entry.reply.complete(reply);
    }

    @Override
    public void abandon() {
      entries.remove(id, entry);
      entry.reply.complete(null);
    }
  }
}
