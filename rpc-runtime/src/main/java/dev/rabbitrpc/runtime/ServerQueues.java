package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;
import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's queues on the broker: declares its request queues (or finds them), the exclusive
 * queue its cancel notices arrive on, deletes the request queues it created; and tells what the
 * broker's refusals mean.
 *
 * <p>Threading: declarations run on the server's start and recovery, under the server's lock;
 * the set of created queues is concurrent; the cancel consumer runs on amqp-client's consumer thread.
 */
final class ServerQueues {
  private static final Logger log = LoggerFactory.getLogger(ServerQueues.class);
  /** Passive, then active declarations when others declare the queue differently in between. */
  private static final int DECLARE_ATTEMPTS = 3;
  private static final int NOT_FOUND = 404;
  private static final int PRECONDITION_FAILED = 406;

  /** Opens a channel on the server's connection (the transport's, which this class does not name). */
  interface Channels {
    Channel open() throws IOException;
  }

  private final QueueSettings settings;
  private final boolean sharded;
  /** The queues that did not exist and this server declared, the last time it declared each. */
  private final Set<String> created = ConcurrentHashMap.newKeySet();

  ServerQueues(QueueSettings settings, boolean sharded) {
    this.settings = settings;
    this.sharded = sharded;
  }

  /**
   * Serves the queue as it is if it exists, whatever its arguments; declares it with this client's
   * settings if not. A passive declaration of a missing queue closes its channel (404), and so does
   * an active one that conflicts (406), so both run on channels of their own. Two servers that both
   * find no queue both declare it, alike; if another program declared it differently in between
   * (406), its queue is served.
   */
  void declare(Channels transport, String queue) throws IOException {
    for (int attempt = 1; ; attempt++) {
      Channel passive = transport.open();
      try {
        passive.queueDeclarePassive(queue);
        IntakeChannel.closeQuietly(passive, queue);
        created.remove(queue);
        return;
      } catch (IOException e) {
        IntakeChannel.closeQuietly(passive, queue); // closed by the 404: forgotten, else amqp-client would recover it
        if (replyCode(e) != NOT_FOUND) {
          throw e;
        }
      }
      Channel active = transport.open();
      try {
        active.queueDeclare(queue, true, false, false, settings.arguments(sharded));
        IntakeChannel.closeQuietly(active, queue);
        created.add(queue);
        return;
      } catch (IOException e) {
        IntakeChannel.closeQuietly(active, queue);
        if (replyCode(e) != PRECONDITION_FAILED || attempt == DECLARE_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  /**
   * Receives the cancel notices for these queues on an exclusive queue, bound to the cancel
   * exchange with each queue's name (docs/PROTOCOL.md §7), and on the same queue the control
   * messages of this server's streams, sent to it by name (its name is their items' {@code reply_to}).
   */
  static void listenForCancels(Channel control, List<String> queues, Cancellations cancellations,
      ServerStreams streams) throws IOException {
    control.exchangeDeclare(Cancellations.EXCHANGE, Cancellations.EXCHANGE_TYPE, false, false, null);
    String cancels = control.queueDeclare("", false, true, true, null).getQueue();
    for (String queue : queues) {
      control.queueBind(cancels, Cancellations.EXCHANGE, queue);
    }
    control.basicConsume(cancels, true, new DefaultConsumer(control) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        if (WireHeaders.isStreamControl(properties.getHeaders())) {
          streams.onControl(properties.getCorrelationId(), properties.getHeaders());
        } else {
          cancellations.onNotice(properties.getHeaders());
        }
      }
    });
    streams.control(cancels);
  }

  /**
   * Deletes each queue this server declared, if nothing else uses it: {@code queue.delete} with
   * if-unused and if-empty.
   *
   * @return whether every queue it declared was deleted (false if it declared none)
   */
  boolean deleteCreated(Channels transport) {
    if (created.isEmpty()) {
      return false;
    }
    boolean all = true;
    for (String queue : List.copyOf(created)) {
      try {
        Channel channel = transport.open();
        channel.queueDelete(queue, true, true);
        IntakeChannel.closeQuietly(channel, queue);
      } catch (IOException | RuntimeException e) {
        // 406: another consumer or messages; 404: already gone; or the client is closed
        log.debug("kept queue {}: {}", queue, IntakeChannel.describe(e));
        all = false;
      }
    }
    return all;
  }

  /**
   * Why the server cannot serve. A broker that refuses (it closed the channel with a reply code:
   * permissions, an exclusive queue of another connection...) is no outage: {@code INTERNAL}, with
   * the broker's reply code and text. Anything else means the broker cannot be reached: {@code UNAVAILABLE}.
   */
  static RpcException failure(Exception e, List<String> queues, String broker) {
    if (e instanceof RpcException) {
      return (RpcException) e;
    }
    String where = "cannot serve queue" + (queues.size() == 1 ? " " : "s ") + String.join(", ", queues) + " on "
        + broker + ": ";
    Method refusal = refusal(e);
    if (refusal instanceof AMQP.Channel.Close) {
      AMQP.Channel.Close close = (AMQP.Channel.Close) refusal;
      return new RpcException(Code.INTERNAL, where + close.getReplyCode() + " " + close.getReplyText(), e);
    }
    if (refusal instanceof AMQP.Connection.Close) {
      AMQP.Connection.Close close = (AMQP.Connection.Close) refusal;
      return new RpcException(Code.INTERNAL, where + close.getReplyCode() + " " + close.getReplyText(), e);
    }
    return new RpcException(Code.UNAVAILABLE, where + IntakeChannel.describe(e), e);
  }

  /**
   * The broker's refusal inside an amqp-client exception: its channel.close, or a connection.close
   * other than an operator's forced close (320), which is an outage; null if there is none.
   */
  private static Method refusal(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof ShutdownSignalException && !((ShutdownSignalException) cause).isInitiatedByApplication()) {
        Method reason = ((ShutdownSignalException) cause).getReason();
        if (reason instanceof AMQP.Connection.Close
            && ((AMQP.Connection.Close) reason).getReplyCode() == AMQP.CONNECTION_FORCED) {
          return null;
        }
        return reason instanceof AMQP.Channel.Close || reason instanceof AMQP.Connection.Close ? reason : null;
      }
    }
    return null;
  }

  private static int replyCode(IOException e) {
    Method refusal = refusal(e);
    return refusal instanceof AMQP.Channel.Close ? ((AMQP.Channel.Close) refusal).getReplyCode() : -1;
  }
}
