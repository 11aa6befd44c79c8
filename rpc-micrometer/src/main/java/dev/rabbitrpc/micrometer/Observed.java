package dev.rabbitrpc.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.transport.ResponseContext;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** What both interceptors do with a started observation: current while proceeding, stopped with the outcome. */
final class Observed {
  private Observed() {}

  static CompletionStage<Object> proceed(Observation observation, ResponseContext<Object> context,
      Consumer<String> status, Supplier<CompletionStage<Object>> chain) {
    CompletionStage<Object> outcome;
    Observation.Scope scope = observation.openScope();
    try {
      outcome = chain.get(); // a chain never throws (ClientInterceptor.Chain, ServerInterceptor.Chain)
    } finally {
      scope.close();
    }
    return outcome.whenComplete((result, failure) -> {
      status.accept(Keys.status(failure));
      if (failure != null) {
        observation.error(Keys.unwrap(failure));
      } else {
        context.setResponse(result);
      }
      observation.stop();
    });
  }
}
