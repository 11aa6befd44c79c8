package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

/**
 * Settling a request without a broker: a {@link ServerReply} on an {@link IntakeChannel} over a
 * mocked amqp-client channel — what it publishes, acks or rejects, under which lock, once only —
 * and that a prefetch change in progress never holds up a reply.
 */
class IntakeSettleTest {
  private static final byte[] BODY = "{}".getBytes(StandardCharsets.UTF_8);

  private final Channel channel = mock(Channel.class);
  private final AtomicInteger settled = new AtomicInteger();
  private final AtomicLong ticker = new AtomicLong();
  private final List<Runnable> prefetchChanges = new ArrayList<>();
  private final LongAdder failedOneWay = new LongAdder();

  IntakeSettleTest() {
    when(channel.isOpen()).thenReturn(true);
  }

  private IntakeChannel intake(boolean rabbitMq) {
    return new IntakeChannel(channel, "q", rabbitMq, settled::incrementAndGet);
  }

  private FlowControl flow() {
    return new FlowControl("q", 2, true, ticker::get, prefetchChanges::add, prefetch -> true);
  }

  private static AMQP.BasicProperties request(String replyTo) {
    return new AMQP.BasicProperties.Builder().replyTo(replyTo).correlationId("c1")
        .contentType(WireFormat.JSON.contentType).build();
  }

  @Test
  void aReplyIsPublishedThenItsRequestAckedUnderTheChannelLockOnce() throws Exception {
    IntakeChannel intake = intake(true);
    List<Boolean> underLock = new ArrayList<>();
    doAnswer(call -> underLock.add(Thread.holdsLock(intake))).when(channel)
        .basicPublish(anyString(), anyString(), anyBoolean(), any(AMQP.BasicProperties.class), any(byte[].class));
    doAnswer(call -> underLock.add(Thread.holdsLock(intake))).when(channel).basicAck(anyLong(), anyBoolean());
    ServerReply reply = new ServerReply(intake, flow(), null, failedOneWay, "q", 7, request("amq.rabbitmq.reply-to.x"));

    assertTrue(reply.expectsReply());
    reply.reply(WireHeaders.STATUS_OK, BODY);
    reply.reply(WireHeaders.STATUS_OK, BODY); // a second answer is dropped

    InOrder order = inOrder(channel);
    order.verify(channel).basicPublish(eq(""), eq("amq.rabbitmq.reply-to.x"), eq(false),
        any(AMQP.BasicProperties.class), eq(BODY));
    order.verify(channel).basicAck(7, false);
    assertEquals(List.of(true, true), underLock);
    assertEquals(1, settled.get());
  }

  @Test
  void aOneWayRequestIsAckedAndItsFailureCountedNotSent() throws Exception {
    ServerReply reply = new ServerReply(intake(true), flow(), null, failedOneWay, "q", 3, request(null));
    assertFalse(reply.expectsReply());
    reply.reply("APPLICATION_ERROR", BODY);
    verify(channel, never()).basicPublish(anyString(), anyString(), anyBoolean(), any(), any());
    verify(channel).basicAck(3, false);
    assertEquals(1, failedOneWay.sum());
    assertEquals(1, settled.get());
  }

  @Test
  void aRejectedRequestIsDeadLetteredOnRabbitMqAndAckedElsewhere() throws Exception {
    new ServerReply(intake(true), flow(), null, failedOneWay, "q", 4, request(null)).reject("no reply_to");
    verify(channel).basicReject(4, false);
    new ServerReply(intake(false), flow(), null, failedOneWay, "q", 5, request(null)).reject("no reply_to");
    verify(channel).basicAck(5, false);
    assertEquals(2, settled.get());
  }

  @Test
  void onAClosedChannelNothingIsWrittenButTheRequestIsCountedAsSettled() throws Exception {
    when(channel.isOpen()).thenReturn(false);
    new ServerReply(intake(true), flow(), null, failedOneWay, "q", 9, request("r")).reply(WireHeaders.STATUS_OK, BODY);
    verify(channel, never()).basicPublish(anyString(), anyString(), anyBoolean(), any(), any());
    verify(channel, never()).basicAck(anyLong(), anyBoolean());
    assertEquals(1, settled.get());
  }

  @Test
  void aFailingWriteIsLoggedAndTheRequestStillCountedAsSettled() throws Exception {
    doAnswer(call -> {
      throw new java.io.IOException("channel closing");
    }).when(channel).basicPublish(anyString(), anyString(), anyBoolean(), any(), any());
    new ServerReply(intake(true), flow(), null, failedOneWay, "q", 9, request("r")).reply(WireHeaders.STATUS_OK, BODY);
    verify(channel, never()).basicAck(anyLong(), anyBoolean());
    assertEquals(1, settled.get());
  }

  @Test
  void anAnsweredRequestIsOwedNoTakenNotice() throws Exception {
    IntakeChannel intake = intake(true);
    intake.oweNotice(1, request("r1"));
    intake.oweNotice(2, request("r2"));
    new ServerReply(intake, flow(), null, failedOneWay, "q", 1, request("r1")).reply(WireHeaders.STATUS_OK, BODY);
    intake.noticeTaken(5_000);
    verify(channel).basicPublish(eq(""), eq("r1"), eq(false), any(), eq(BODY)); // the reply
    verify(channel).basicPublish(eq(""), eq("r2"), eq(false), any(), any()); // the notice
    intake.noticeTaken(5_000);
    verify(channel).basicPublish(eq(""), eq("r2"), eq(false), any(), any()); // once
  }

  @Test
  void theHandlersTimeOnTheTickerDrivesTheFlowControlAndItsChangeIsHandedOn() {
    IntakeChannel intake = intake(true);
    FlowControl flow = flow();
    for (int i = 0; i < FlowControl.SHORT_RUN; i++) {
      ServerReply reply = new ServerReply(intake, flow, null, failedOneWay, "q", i, request("r"));
      ticker.addAndGet(TimeUnit.MICROSECONDS.toNanos(100));
      reply.reply(WireHeaders.STATUS_OK, BODY);
    }
    assertEquals(1, prefetchChanges.size(), "the change is handed to the prefetch executor");
    assertEquals(2, flow.prefetch(), "not made by the thread that replied");
    prefetchChanges.get(0).run();
    assertEquals(2 * FlowControl.DEPTH, flow.prefetch());
  }

  /** A prefetch change waits two broker round trips; replies on the same intake go out meanwhile. */
  @Test
  void aPrefetchChangeInProgressDoesNotHoldUpReplies() throws Exception {
    IntakeChannel intake = intake(true);
    CountDownLatch changing = new CountDownLatch(1);
    CountDownLatch brokerAnswers = new CountDownLatch(1);
    ExecutorService prefetchExecutor = Executors.newSingleThreadExecutor(Threads.daemon("rabbit-rpc-prefetch-q"));
    try {
      FlowControl flow = new FlowControl("q", 2, true, ticker::get, prefetchExecutor, prefetch -> {
        changing.countDown();
        try {
          return brokerAnswers.await(10, TimeUnit.SECONDS); // basic.qos, basic.consume in flight
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      });
      for (int i = 0; i < FlowControl.SHORT_RUN; i++) {
        new ServerReply(intake, flow, null, failedOneWay, "q", i, request("r")).reply(WireHeaders.STATUS_OK, BODY);
      }
      assertTrue(changing.await(10, TimeUnit.SECONDS));
      new ServerReply(intake, flow, null, failedOneWay, "q", 5000, request("r")).reply(WireHeaders.STATUS_OK, BODY);
      verify(channel).basicAck(5000, false);
      assertEquals(FlowControl.SHORT_RUN + 1, settled.get());
      brokerAnswers.countDown();
      TestWait.until(java.time.Duration.ofSeconds(10), "the change to be applied",
          () -> flow.prefetch() == 2 * FlowControl.DEPTH);
    } finally {
      brokerAnswers.countDown();
      prefetchExecutor.shutdownNow();
    }
  }

  @Test
  void aFailedRequestIsAnsweredOrAtLeastSettled() throws Exception {
    // The dispatcher cannot even build the INTERNAL answer: the request is discarded, settled once.
    Dispatcher dispatcher = mock(Dispatcher.class);
    doThrow(new IllegalStateException("no reply can be built")).when(dispatcher).replyUnexpected(any(), any(), any());
    ServerReply reply = new ServerReply(intake(true), flow(), dispatcher, failedOneWay, "q", 6, request("r"));
    reply.failed(WireFormat.JSON.contentType, new StackOverflowError());
    verify(dispatcher).replyUnexpected(eq(WireFormat.JSON.contentType), any(StackOverflowError.class), eq(reply));
    verify(channel).basicReject(6, false);
    assertEquals(1, settled.get());
  }
}
