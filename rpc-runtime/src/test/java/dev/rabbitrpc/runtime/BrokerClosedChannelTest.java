package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ShutdownListener;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.AMQImpl;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A call channel the broker closes (406, 403, 404 …): its calls fail typed, with the broker's reply
 * code and text, and the listener acts once. The channel is mocked the way amqp-client behaves:
 * {@code abort()} on a channel the broker closed runs its shutdown listeners again, with the same
 * cause (ChannelN.close's finally block) — which, before the fix, recursed until the stack overflowed
 * on amqp-client's connection thread and took the connection down. The real fault, on real brokers,
 * is in BrokerLimitsIT.
 */
class BrokerClosedChannelTest {
  interface Svc {
    String m(String value);
  }

  private static final String TOO_LARGE =
      "PRECONDITION_FAILED - message size 17825792 is larger than configured max size 16777216";

  private final ReplyRouter router = new ReplyRouter(Codec.json(), null);
  private final CorrelationIds ids = new CorrelationIds();
  private final MethodDescriptor method =
      ServiceDescriptor.parse(Svc.class, Codec.json(), Duration.ofSeconds(30)).methods().iterator().next();
  private final List<ShutdownListener> listeners = new CopyOnWriteArrayList<>();
  private final Channel channel = mock(Channel.class);
  private volatile ShutdownSignalException closedBy;

  private CallChannel open(MessageSizeLimit limit) throws Exception {
    when(channel.isOpen()).thenAnswer(invocation -> closedBy == null);
    doAnswer(invocation -> listeners.add(invocation.getArgument(0))).when(channel).addShutdownListener(any());
    // amqp-client: aborting a closed channel notifies its shutdown listeners again, with its first cause.
    doAnswer(invocation -> {
      for (ShutdownListener listener : listeners) {
        listener.shutdownCompleted(closedBy);
      }
      return null;
    }).when(channel).abort();
    return CallChannel.open(channel, router, new ReturnedOneWays(), true, limit);
  }

  /** The broker closes the channel, as amqp-client reports it: on its connection thread, to every listener. */
  private void brokerCloses(int code, String text) {
    closedBy = new ShutdownSignalException(false, false, new AMQImpl.Channel.Close(code, text, 60, 40), channel);
    for (ShutdownListener listener : listeners) {
      listener.shutdownCompleted(closedBy);
    }
  }

  private PendingCall published(CallChannel callChannel, int size) throws Exception {
    PendingCall call = router.register(ids.next(), method, callChannel, "q", Deadline.after(30, TimeUnit.SECONDS), WireFormat.JSON);
    callChannel.publish("q", new AMQP.BasicProperties.Builder().correlationId(call.correlationId).build(), new byte[size]);
    return call;
  }

  private static RpcException failure(PendingCall call) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(5, TimeUnit.SECONDS));
    return assertInstanceOf(RpcException.class, e.getCause());
  }

  @Test
  void aRequestOverTheBrokersLimitFailsResourceExhaustedAndTheOthersOnItsChannelUnavailable() throws Exception {
    MessageSizeLimit limit = new MessageSizeLimit(32 << 20);
    CallChannel callChannel = open(limit);
    PendingCall before = published(callChannel, 100);
    PendingCall tooLarge = published(callChannel, 17825792);
    PendingCall after = published(callChannel, 200);

    brokerCloses(406, TOO_LARGE); // before the fix: StackOverflowError here

    RpcException refused = failure(tooLarge);
    assertEquals(Code.RESOURCE_EXHAUSTED, refused.code());
    assertTrue(refused.getMessage().contains("406 " + TOO_LARGE), refused.getMessage());
    for (PendingCall other : List.of(before, after)) {
      RpcException lost = failure(other);
      assertEquals(Code.UNAVAILABLE, lost.code());
      assertTrue(lost.getMessage().contains("406 " + TOO_LARGE), lost.getMessage());
    }
    assertEquals(16777216, limit.bytes(), "the broker's limit is learned");
    assertTrue(limit.isBrokers());
    assertEquals(0, router.pendingCount());
    verify(channel, times(1)).abort(); // forgotten by amqp-client's recovery, once
  }

  @Test
  void anyOtherRefusalFailsTheCallsOnTheChannelUnavailableWithTheReplyCodeAndText() throws Exception {
    MessageSizeLimit limit = new MessageSizeLimit(1 << 20);
    CallChannel callChannel = open(limit);
    PendingCall call = published(callChannel, 10);

    brokerCloses(404, "NOT_FOUND - no exchange 'rabbit-rpc.cancel' in vhost '/'");

    RpcException lost = failure(call);
    assertEquals(Code.UNAVAILABLE, lost.code());
    assertTrue(lost.getMessage().contains("404 NOT_FOUND - no exchange"), lost.getMessage());
    assertFalse(limit.isBrokers());
    assertFalse(callChannel.isOpen(), "the next call opens a fresh channel");
  }

  @Test
  void abortingTheChannelLaterDoesNotRunTheLossAgain() throws Exception {
    CallChannel callChannel = open(new MessageSizeLimit(1 << 20));
    brokerCloses(403, "ACCESS_REFUSED - access to queue 'q' refused");
    callChannel.abort(); // as the transport does when it replaces the channel
    verify(channel, times(1)).abort();
  }

  @Test
  void theBrokersRefusalIsReadFromItsReplyText() {
    BrokerRefusal refusal = BrokerRefusal.of(406, TOO_LARGE);
    assertTrue(refusal.isTooLarge());
    assertEquals(17825792, refusal.messageSize);
    assertEquals(16777216, refusal.brokerLimit);
    assertFalse(BrokerRefusal.of(406, "PRECONDITION_FAILED - inequivalent arg 'durable'").isTooLarge());
    assertNull(BrokerRefusal.of(new ShutdownSignalException(false, true, null, null)), "closed by the application");
    assertNull(BrokerRefusal.of(new ShutdownSignalException(true, false,
        new AMQImpl.Connection.Close(320, "CONNECTION_FORCED", 0, 0), null)), "lost with the connection");
  }

}
