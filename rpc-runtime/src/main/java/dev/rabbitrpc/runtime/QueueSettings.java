package dev.rabbitrpc.runtime;

import java.util.HashMap;
import java.util.Map;

/**
 * How exported services declare their request queues: as RabbitMQ's tutorial does by default
 * (classic, non-durable, non-exclusive, not auto-delete), or as quorum queues, with or without a
 * dead-letter exchange.
 */
record QueueSettings(boolean quorum, String deadLetterExchange) {
  boolean durable() {
    return quorum; // quorum queues are always durable
  }

  /** The {@code queue.declare} arguments, or null for the tutorial's plain declaration. */
  Map<String, Object> arguments() {
    if (!quorum && deadLetterExchange == null) {
      return null;
    }
    Map<String, Object> arguments = new HashMap<>();
    if (quorum) {
      arguments.put("x-queue-type", "quorum");
    }
    if (deadLetterExchange != null) {
      arguments.put("x-dead-letter-exchange", deadLetterExchange);
    }
    return arguments;
  }
}
