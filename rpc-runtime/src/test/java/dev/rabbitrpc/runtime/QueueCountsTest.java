package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import dev.rabbitrpc.api.RpcException.DeadlineCause;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What the last count of a queue says about a call that expires, and how often a recount is asked for. */
class QueueCountsTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  private final AtomicLong now = new AtomicLong(1_000_000 * MS);
  private final QueueCounts counts = new QueueCounts(now::get);
  private final List<String> recounts = new ArrayList<>();

  QueueCountsTest() {
    counts.recounter(recounts::add);
  }

  @Test
  void messagesReadyAfterTheSendMeanProbablyStillQueued() {
    long sent = now.get();
    counts.counted("q", 3, 1, sent + 400 * MS, true);
    now.addAndGet(500 * MS);
    RpcException e = counts.exceeded("Svc.m: no reply within 500 ms", "q", sent);
    assertEquals(Code.DEADLINE_EXCEEDED, e.code());
    assertEquals(DeadlineCause.QUEUED, e.deadlineCause());
    assertEquals("Svc.m: no reply within 500 ms: probably still queued (3 messages ready in queue q, so at most 2 ahead"
        + " of it; 1 consumer; counted 100 ms before the call expired, after its request was sent)", e.getMessage());
  }

  @Test
  void nothingReadyAfterTheSendMeansTakenByAServer() {
    long sent = now.get();
    counts.counted("q", 0, 2, sent + 1, true);
    now.addAndGet(300 * MS);
    RpcException e = counts.exceeded("Svc.m: no reply within 300 ms", "q", sent);
    assertEquals(DeadlineCause.TAKEN, e.deadlineCause());
    assertEquals("Svc.m: no reply within 300 ms: taken by a server, no reply in time (no message ready in queue q,"
        + " 2 consumers; counted 299 ms before the call expired, after its request was sent)", e.getMessage());
  }

  @Test
  void aCountOfDeliveredMessagesTooCannotTellQueuedFromTaken() {
    long sent = now.get();
    counts.counted("q", 1, 1, sent + 1, false); // Qpid: the one message may be the request a server holds
    now.addAndGet(300 * MS);
    RpcException e = counts.exceeded("Svc.m: no reply within 300 ms", "q", sent);
    assertEquals(DeadlineCause.UNKNOWN, e.deadlineCause());
    assertEquals("Svc.m: no reply within 300 ms (queue q held 1 message, delivered or not, and 1 consumer; counted"
        + " 299 ms before the call expired, after its request was sent; this broker's count cannot tell a queued"
        + " request from a taken one)", e.getMessage());
  }

  @Test
  void aCountFromBeforeTheSendSaysNothingAboutTheCall() {
    counts.counted("q", 0, 1, now.get() - 1, true);
    long sent = now.get();
    now.addAndGet(200 * MS);
    RpcException e = counts.exceeded("Svc.m: no reply within 200 ms", "q", sent);
    assertEquals(DeadlineCause.UNKNOWN, e.deadlineCause());
    assertTrue(e.getMessage().contains("not counted after the request was sent"), e.getMessage());
  }

  @Test
  void noCountAtAllIsUnknownAndAsksForOne() {
    RpcException e = counts.exceeded("Svc.m: no reply within 200 ms", "q", now.get());
    assertEquals(DeadlineCause.UNKNOWN, e.deadlineCause());
    assertEquals(List.of("q"), recounts);
  }

  @Test
  void recountsAreAskedForAtMostOncePerQueuePerSecondAndOnlyWhenTheCountIsOld() {
    long sent = now.get();
    counts.exceeded("m", "q", sent);
    counts.exceeded("m", "q", sent);
    counts.exceeded("m", "other", sent);
    assertEquals(List.of("q", "other"), recounts, "once per queue");
    now.addAndGet(999 * MS);
    counts.exceeded("m", "q", sent);
    assertEquals(2, recounts.size(), "not again within a second");
    now.addAndGet(MS);
    counts.counted("q", 0, 1, now.get(), true); // fresh: no need to ask
    counts.exceeded("m", "q", sent);
    assertEquals(2, recounts.size(), "a fresh count is not asked again");
    now.addAndGet(QueueCounts.RECOUNT_AFTER_NANOS);
    counts.exceeded("m", "q", sent);
    assertEquals(List.of("q", "other", "q"), recounts, "old again: asked again");
  }

  @Test
  void forgetsEveryCountBeyondTheLimitOfQueues() {
    for (int i = 0; i < QueueCounts.MAX_QUEUES; i++) {
      counts.counted("q" + i, 0, 1, now.get(), true);
    }
    counts.counted("one-more", 1, 1, now.get(), true);
    assertNull(counts.latest("q0"));
    assertEquals(1, counts.latest("one-more").messages());
  }

  @Test
  void otherCodesHaveNoDeadlineCauseAndPlainDeadlineErrorsAreUnknown() {
    assertNull(new RpcException(Code.UNAVAILABLE, "x").deadlineCause());
    assertEquals(DeadlineCause.UNKNOWN, new RpcException(Code.DEADLINE_EXCEEDED, "x").deadlineCause());
    RpcException notSent = RpcException.deadlineExceeded("x", DeadlineCause.NOT_SENT);
    RpcException renamed = notSent.withMessage("Svc.m: x");
    assertEquals(DeadlineCause.NOT_SENT, renamed.deadlineCause());
    assertEquals("Svc.m: x", renamed.getMessage());
  }
}
