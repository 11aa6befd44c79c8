package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.DeadlineCause;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The router's side of deadlines: the cause of an expiry, late replies and server-skipped requests. */
class LateRepliesTest {
  interface Svc {
    String m(String value);
  }

  private static final byte[] SKIPPED = "{\"error\":{\"code\":\"DEADLINE_EXCEEDED\",\"message\":\"the deadline passed before the server ran m\"}}"
      .getBytes(StandardCharsets.UTF_8);
  private final ReplyRouter router = new ReplyRouter(Codec.json(), null);
  private final CorrelationIds ids = new CorrelationIds();
  private final MethodDescriptor method =
      ServiceDescriptor.parse(Svc.class, Codec.json(), Duration.ofSeconds(30)).methods().iterator().next();

  private PendingCall pending() {
    return router.register(ids.next(), method, null, "q", Deadline.after(10, TimeUnit.SECONDS), WireFormat.JSON);
  }

  @Test
  void anExpiredCallUsesTheLastCountTakenAfterItWasSent() {
    PendingCall call = pending();
    router.queueCounts.counted("q", 0, 1, call.sentAtNanos, true);
    RpcException e = router.expire(call);
    assertEquals(DeadlineCause.TAKEN, e.deadlineCause());
    assertTrue(e.getMessage().startsWith("Svc.m: no reply within 10000 ms: taken by a server"), e.getMessage());
    RpcException thrown = assertInstanceOf(RpcException.class,
        assertInstanceOf(CompletionException.class, org.junit.jupiter.api.Assertions.assertThrows(
            CompletionException.class, call::join)).getCause());
    assertEquals(e, thrown, "the caller gets the same failure");
  }

  @Test
  void aLateReplyIsCountedAndKeptWithItsLateness() {
    PendingCall call = pending();
    router.expire(call);
    router.onReply(call.correlationId, "application/json", "OK", "\"v\"".getBytes(StandardCharsets.UTF_8));
    assertEquals(1, router.late.count());
    assertEquals(0, router.late.skipped());
    List<LateReply> late = router.late.recent();
    assertEquals(1, late.size());
    assertEquals("Svc.m", late.get(0).method());
    assertEquals(call.correlationId, late.get(0).correlationId());
    assertEquals(DeadlineCause.TAKEN, late.get(0).cause());
    assertEquals("OK", late.get(0).status());
    assertEquals(-1, late.get(0).queuedMillis());
  }

  @Test
  void aLateSkipReplyIsRecordedWithTheTimeFromSendingToTheServersAnswer() {
    PendingCall call = pending();
    router.expire(call);
    router.onReply(call.correlationId, "application/json", "DEADLINE_EXCEEDED", SKIPPED, 40);
    assertEquals(1, router.late.count());
    assertEquals(1, router.late.skipped());
    LateReply late = router.late.recent().get(0);
    assertEquals(DeadlineCause.SKIPPED_EXPIRED, late.cause());
    assertEquals("DEADLINE_EXCEEDED", late.status());
    assertTrue(late.queuedMillis() >= 0, "queued " + late.queuedMillis());
  }

  @Test
  void aSkipReplyToACallStillWaitingFailsItAsSkipped() {
    PendingCall call = pending(); // the server's clock is ahead of this one's
    router.onReply(call.correlationId, "application/json", "DEADLINE_EXCEEDED", SKIPPED, 12);
    RpcException e = assertInstanceOf(RpcException.class,
        org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class, call::join).getCause());
    assertEquals(DeadlineCause.SKIPPED_EXPIRED, e.deadlineCause());
    assertTrue(e.getMessage().matches("Svc\\.m: the server skipped it: it arrived already expired after \\d+ ms in the"
        + " queue \\(its deadline had passed 12 ms before, by the server's clock\\)"), e.getMessage());
    assertEquals(0, router.late.count(), "not late: the call was waiting");
  }

  @Test
  void aDeadlineReplyWithoutTheHeaderMeansAServerTookTheRequest() {
    PendingCall call = pending();
    router.onReply(call.correlationId, "application/json", "DEADLINE_EXCEEDED",
        "{\"error\":{\"code\":\"DEADLINE_EXCEEDED\",\"message\":\"m did not complete before the caller's deadline\"}}"
            .getBytes(StandardCharsets.UTF_8));
    RpcException e = assertInstanceOf(RpcException.class,
        org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class, call::join).getCause());
    assertEquals(DeadlineCause.TAKEN, e.deadlineCause());
  }

  @Test
  void keepsOnlyTheLastLateReplies() {
    for (int i = 0; i < LateReplies.REMEMBERED_LATE + 5; i++) {
      PendingCall call = pending();
      router.expire(call);
      router.onReply(call.correlationId, "application/json", "OK", "\"v\"".getBytes(StandardCharsets.UTF_8));
    }
    assertEquals(LateReplies.REMEMBERED_LATE + 5, router.late.count());
    assertEquals(LateReplies.REMEMBERED_LATE, router.late.recent().size());
  }
}
