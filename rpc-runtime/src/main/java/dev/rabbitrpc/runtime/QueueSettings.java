package dev.rabbitrpc.runtime;

import java.util.HashMap;
import java.util.Map;

/**
 * How exported services declare the request queues that do not exist yet (an existing queue is
 * served as it is): always durable, never exclusive or auto-delete, since RabbitMQ 4.3 refuses
 * non-durable shared queues; classic by default or quorum, with or without a dead-letter exchange.
 */
record QueueSettings(boolean quorum, String deadLetterExchange) {
  /** The {@code queue.declare} arguments, or null for a plain classic queue. */
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
