package dev.rabbitrpc.runtime;

import java.util.HashMap;
import java.util.Map;

/**
 * How exported services declare the request queues that do not exist yet (an existing queue is
 * served as it is): always durable, never exclusive or auto-delete, since RabbitMQ 4.3 refuses
 * non-durable shared queues; classic by default or quorum, with or without a dead-letter exchange.
 */
record QueueSettings(boolean quorum, String deadLetterExchange) {
  /** The {@code queue.declare} arguments of an unsharded service's queue, or null for a plain classic queue. */
  Map<String, Object> arguments() {
    return arguments(false);
  }

  /**
   * The {@code queue.declare} arguments, or null for a plain classic queue. The quorum queues of a
   * sharded service get {@code x-queue-leader-locator: balanced} (RabbitMQ 3.10+: the leader goes to
   * the node with the fewest quorum leaders) so that its shards' leaders, declared one after another
   * on one connection, land on different nodes instead of all on the connected one
   * ({@code client-local}, the default). Only on shard queues: they are new, so no older client
   * declares them, and servers declare passively first, never redeclaring a queue that exists (the
   * argument is part of RabbitMQ's equivalence check: declaring a queue without it, or with it
   * where it has none, is a 406). Older brokers ignore the argument.
   */
  Map<String, Object> arguments(boolean sharded) {
    if (!quorum && deadLetterExchange == null) {
      return null;
    }
    Map<String, Object> arguments = new HashMap<>();
    if (quorum) {
      arguments.put("x-queue-type", "quorum");
      if (sharded) {
        arguments.put("x-queue-leader-locator", "balanced");
      }
    }
    if (deadLetterExchange != null) {
      arguments.put("x-dead-letter-exchange", deadLetterExchange);
    }
    return arguments;
  }
}
