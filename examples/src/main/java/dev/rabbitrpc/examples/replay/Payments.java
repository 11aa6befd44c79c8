package dev.rabbitrpc.examples.replay;

import dev.rabbitrpc.api.CallKey;
import dev.rabbitrpc.api.Deduplicated;
import dev.rabbitrpc.api.RpcService;

/** A payment service whose charges run at most once per payment id, however often a call is retried. */
@RpcService(queue = "payments")
public interface Payments {
  @Deduplicated                      // at most once per payment id: a retry gets the first run's reply
  String charge(@CallKey String paymentId, String account, long cents);
}
