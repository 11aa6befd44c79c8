package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Consumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.rabbitrpc.runtime.ProtocolFixtures.Fibonacci;
import dev.rabbitrpc.runtime.ProtocolFixtures.FibonacciImpl;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.mockito.InOrder;

/**
 * One intake without a broker: a mocked amqp-client channel and a fake server ({@link
 * ServerIntake.Host}) whose workers run what the test says, when it says.
 */
class ServerIntakeTest {
  private final Channel channel = mock(Channel.class);
  private final FakeHost host = new FakeHost();
  private final ServiceDescriptor service = ServiceDescriptor.parse(Fibonacci.class, Codec.json(), Duration.ofSeconds(5));
  private final ServerIntake intake = new ServerIntake(channel, service, 4, true, true, System::nanoTime,
      Runnable::run, host);

  ServerIntakeTest() throws Exception {
    when(channel.isOpen()).thenReturn(true);
    when(channel.basicConsume(anyString(), anyBoolean(), any(Consumer.class))).thenReturn("c1", "c2");
  }

  /** The server as an intake sees it: requests queue until {@link #runWorkers()}. */
  static final class FakeHost implements ServerIntake.Host {
    final Dispatcher dispatcher = new Dispatcher(
        ServiceDescriptor.parse(Fibonacci.class, Codec.json(), Duration.ofSeconds(5)), new FibonacciImpl(), Codec.json(), 1 << 20);
    final List<Runnable> queued = new ArrayList<>();
    boolean workersShutDown;
    /** {@link ServerBuilder#runOnDeliveryThread}, as set for the intakes made after. */
    boolean deliveryThread;
    long closingGraceMillis = -1;
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger stoppedReceiving = new AtomicInteger();
    final List<String> lost = new ArrayList<>();
    final List<ServerIntake> closed = new ArrayList<>();
    final LongAdder failedOneWay = new LongAdder();

    void runWorkers() {
      List<Runnable> now = List.copyOf(queued);
      queued.clear();
      now.forEach(Runnable::run);
    }

    @Override public Dispatcher dispatcher() {
      return dispatcher;
    }

    @Override public boolean mayRunOnDeliveryThread() {
      return deliveryThread && dispatcher.mayRunOnDeliveryThread();
    }

    @Override public boolean runOnWorker(Runnable request) {
      return !workersShutDown && queued.add(request);
    }

    @Override public LongAdder failedOneWay() {
      return failedOneWay;
    }

    @Override public Map<String, Object> consumerArguments() {
      return null;
    }

    @Override public long closingGraceMillis() {
      return closingGraceMillis;
    }

    @Override public void requestArrived() {
      inFlight.incrementAndGet();
    }

    @Override public void requestSettled() {
      inFlight.decrementAndGet();
    }

    @Override public void stoppedReceiving() {
      stoppedReceiving.incrementAndGet();
    }

    @Override public void channelClosed(ServerIntake intake) {
      closed.add(intake);
    }

    @Override public void channelShutDown(ServerIntake intake, ShutdownSignalException cause) {
    }

    @Override public void lost(ServerIntake intake, String why) {
      lost.add(why);
    }
  }

  private static AMQP.BasicProperties fibRequest(String correlationId, boolean wantsNotice) {
    Map<String, Object> headers = wantsNotice
        ? Map.of("rpc-protocol", 1, "rpc-deadline", 4102444800000L, "rpc-notices", "taken")
        : Map.of("rpc-protocol", 1, "rpc-deadline", 4102444800000L);
    return new AMQP.BasicProperties.Builder().contentType(WireFormat.JSON.contentType).replyTo("amq.rabbitmq.reply-to.a")
        .correlationId(correlationId).headers(headers).build();
  }

  private void deliver(long tag, AMQP.BasicProperties properties) {
    deliver(intake, tag, properties);
  }

  private void deliver(ServerIntake to, long tag, AMQP.BasicProperties properties) {
    to.handleDelivery("c1", new Envelope(tag, false, "", service.queue), properties,
        "{\"method\":\"fib\",\"args\":[10]}".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void startsWithItsPrefetchThenConsumes() throws Exception {
    intake.start();
    InOrder order = inOrder(channel);
    order.verify(channel).basicQos(4);
    order.verify(channel).basicConsume(service.queue, false, intake);
    assertTrue(intake.receiving);
    assertEquals(4, intake.prefetchNow());
  }

  @Test
  void aDeliveryIsRunOnAWorkerAnsweredThenAcked() throws Exception {
    intake.start();
    deliver(1, fibRequest("fib-10", false));
    assertEquals(1, host.inFlight.get());
    verify(channel, never()).basicAck(anyLong(), anyBoolean());

    host.runWorkers();
    ArgumentCaptor<AMQP.BasicProperties> reply = ArgumentCaptor.forClass(AMQP.BasicProperties.class);
    InOrder order = inOrder(channel);
    order.verify(channel).basicPublish(eq(""), eq("amq.rabbitmq.reply-to.a"), eq(false), reply.capture(), any());
    order.verify(channel).basicAck(1, false);
    assertEquals("fib-10", reply.getValue().getCorrelationId());
    assertEquals(WireHeaders.STATUS_OK, String.valueOf(reply.getValue().getHeaders().get("rpc-status")));
    assertEquals(0, host.inFlight.get());
  }

  /** A sequential caller's request {@code tag} to {@code to}; true if it ran on the delivering thread (nothing handed to a worker). */
  private boolean deliverSequential(ServerIntake to, long tag) throws Exception {
    deliver(to, tag, fibRequest("fib-" + tag, false));
    boolean here = host.queued.isEmpty();
    host.runWorkers();
    verify(channel).basicAck(tag, false);
    return here;
  }

  /**
   * A sequential caller of short handlers, on a ticker that moves 100 µs per reading, with {@link
   * ServerBuilder#runOnDeliveryThread} set: after the flow control judged the handlers short and a
   * quiet run ({@link InlinePolicy}), each request runs on the delivering thread — answered and acked
   * before the delivery returns, nothing handed to a worker; while the server closes, the workers again.
   */
  @Test
  void withRunOnDeliveryThreadOneShortRequestAtATimeRunsThereOnceJudged() throws Exception {
    host.deliveryThread = true;
    AtomicLong ticker = new AtomicLong();
    ServerIntake sequential = new ServerIntake(channel, service, 4, true, true, () -> ticker.addAndGet(100_000),
        Runnable::run, host);
    sequential.start();
    int handedOff = 0;
    long tag = 0;
    for (int i = 0; i < FlowControl.SHORT_RUN + InlinePolicy.QUIET_RUN; i++) {
      if (!deliverSequential(sequential, ++tag)) {
        handedOff++;
      }
    }
    assertEquals(FlowControl.SHORT_RUN + InlinePolicy.QUIET_RUN - 1, handedOff,
        "the workers ran every request until the quiet run's last");
    for (int i = 0; i < 10; i++) {
      assertTrue(deliverSequential(sequential, ++tag), "ran on the delivering thread");
    }
    host.closingGraceMillis = 7_000;
    assertFalse(deliverSequential(sequential, ++tag), "while closing, the workers");
    assertEquals(0, host.inFlight.get());
  }

  /** The default: every request goes to the workers, however sequential and short. */
  @Test
  void withoutRunOnDeliveryThreadEveryRequestGoesToTheWorkers() throws Exception {
    AtomicLong ticker = new AtomicLong();
    ServerIntake sequential = new ServerIntake(channel, service, 4, true, true, () -> ticker.addAndGet(100_000),
        Runnable::run, host);
    sequential.start();
    for (long tag = 1; tag <= 2L * (FlowControl.SHORT_RUN + InlinePolicy.QUIET_RUN); tag++) {
      assertFalse(deliverSequential(sequential, tag));
    }
  }

  @Test
  void aDeliveryTheWorkersCannotTakeIsLeftUnackedForTheBrokerToRequeue() throws Exception {
    intake.start();
    host.workersShutDown = true;
    deliver(1, fibRequest("fib-10", false));
    verify(channel, never()).basicAck(anyLong(), anyBoolean());
    verify(channel, never()).basicReject(anyLong(), anyBoolean());
    assertEquals(0, host.inFlight.get(), "counted as settled");
  }

  @Test
  void whileClosingADeliveryOwedANoticeGetsItAtOnceAndItsReplyAfter() throws Exception {
    intake.start();
    host.closingGraceMillis = 7_000;
    deliver(1, fibRequest("fib-10", true));
    ArgumentCaptor<AMQP.BasicProperties> notice = ArgumentCaptor.forClass(AMQP.BasicProperties.class);
    verify(channel).basicPublish(eq(""), eq("amq.rabbitmq.reply-to.a"), eq(false), notice.capture(), any());
    assertEquals("taken", String.valueOf(notice.getValue().getHeaders().get("rpc-notice")));
    host.runWorkers();
    verify(channel).basicAck(1, false);
  }

  @Test
  void stopConsumingCancelsAndTheCancelOkEndsReceiving() throws Exception {
    intake.start();
    intake.stopConsuming();
    verify(channel).basicCancel("c1");
    assertTrue(intake.receiving, "until the broker confirms the cancel");
    intake.handleCancelOk("c1");
    assertFalse(intake.receiving);
    assertTrue(host.lost.isEmpty());
  }

  @Test
  void theBrokersCancelIsALoss() throws Exception {
    intake.start();
    intake.handleCancel("c1");
    assertFalse(intake.receiving);
    assertEquals(1, host.lost.size());
    assertTrue(host.lost.get(0).contains("cancelled the consumer of " + service.queue), host.lost.get(0));
  }

  @Test
  void aChannelTheBrokerClosesIsALossOneTheApplicationClosesIsNot() throws Exception {
    intake.start();
    intake.handleShutdownSignal("c1", new ShutdownSignalException(false, true, null, channel));
    assertTrue(host.lost.isEmpty());
    intake.handleShutdownSignal("c1", new ShutdownSignalException(false, false, null, channel));
    assertEquals(1, host.lost.size());
  }

  @Test
  void aRetiredIntakeClosesItsChannelOnceItsRequestsAreSettled() throws Exception {
    intake.start();
    deliver(1, fibRequest("fib-10", false));
    intake.retire();
    verify(channel).basicCancel("c1");
    assertTrue(host.closed.isEmpty(), "a request is still held");
    host.runWorkers();
    verify(channel).basicAck(1, false);
    assertEquals(List.of(intake), host.closed);
    verify(channel).close();
  }
}
