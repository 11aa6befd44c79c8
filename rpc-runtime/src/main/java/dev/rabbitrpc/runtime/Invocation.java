package dev.rabbitrpc.runtime;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A handler the {@link Dispatcher} started: its outcome (done for a sync method) and the reply
 * headers its interceptors set. Immutable.
 */
record Invocation(CompletableFuture<Object> outcome, Map<String, String> replyHeaders) {}
