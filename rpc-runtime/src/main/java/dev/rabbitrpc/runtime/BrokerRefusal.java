package dev.rabbitrpc.runtime;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why the broker closed a channel: its reply code and text ({@code 406 PRECONDITION_FAILED - …}),
 * and, for a message over the broker's {@code max_message_size}, the message's size and the limit
 * the broker named. Immutable.
 */
final class BrokerRefusal {
  /**
   * RabbitMQ's words for a message over {@code max_message_size} (3.x and 4.x alike): "message size
   * 17825792 is larger than configured max size 16777216".
   */
  private static final Pattern TOO_LARGE = Pattern.compile("message size (\\d+) is larger than (?:configured )?max size (\\d+)");

  /**
   * RabbitMQ's words for a delivery left unacknowledged longer than its consumer timeout: "delivery
   * acknowledgement on channel 1 timed out. Timeout value used: 1800000 ms".
   */
  private static final Pattern ACK_TIMED_OUT = Pattern.compile("timed out\\. Timeout value used: (\\d+) ms");

  final int replyCode;
  final String replyText;
  /** The size of the refused message, or -1 if the refusal is not about size. */
  final long messageSize;
  /** The broker's {@code max_message_size}, or -1 if the refusal is not about size. */
  final long brokerLimit;
  /** The broker's consumer timeout in ms, for a channel closed because a delivery stayed unacknowledged too long; else -1. */
  final long consumerTimeoutMillis;

  private BrokerRefusal(int replyCode, String replyText) {
    this.replyCode = replyCode;
    this.replyText = replyText == null ? "" : replyText;
    Matcher tooLarge = TOO_LARGE.matcher(this.replyText);
    if (replyCode == AMQP.PRECONDITION_FAILED && tooLarge.find()) {
      this.messageSize = Long.parseLong(tooLarge.group(1));
      this.brokerLimit = Long.parseLong(tooLarge.group(2));
    } else {
      this.messageSize = -1;
      this.brokerLimit = -1;
    }
    Matcher timedOut = ACK_TIMED_OUT.matcher(this.replyText);
    this.consumerTimeoutMillis = replyCode == AMQP.PRECONDITION_FAILED && timedOut.find()
        ? Long.parseLong(timedOut.group(1)) : -1;
  }

  /** The broker's channel.close in {@code cause}, or null if the channel closed otherwise (by us, with its connection). */
  static BrokerRefusal of(ShutdownSignalException cause) {
    if (cause == null || cause.isInitiatedByApplication() || cause.isHardError()) {
      return null;
    }
    Method reason = cause.getReason();
    if (!(reason instanceof AMQP.Channel.Close)) {
      return null;
    }
    AMQP.Channel.Close close = (AMQP.Channel.Close) reason;
    return new BrokerRefusal(close.getReplyCode(), close.getReplyText());
  }

  /** The broker's channel.close behind an amqp-client exception (an RPC it refused), or null. */
  static BrokerRefusal of(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof ShutdownSignalException) {
        return of((ShutdownSignalException) cause);
      }
    }
    return null;
  }

  /** For tests and for refusals read elsewhere. */
  static BrokerRefusal of(int replyCode, String replyText) {
    return new BrokerRefusal(replyCode, replyText);
  }

  /** Whether the broker refused a message over its {@code max_message_size}. */
  boolean isTooLarge() {
    return brokerLimit >= 0;
  }

  /** "406 PRECONDITION_FAILED - message size …", as the broker said it. */
  @Override
  public String toString() {
    return replyCode + " " + replyText;
  }
}
