package dev.rabbitrpc.examples.streaming;

import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * Produces orders lazily: the server pulls the next one only when the client has room for it (the
 * stream's window), so a slow reader slows this down instead of filling memory.
 */
public final class OrdersImpl implements Orders {
  @Override
  public Stream<Order> export(int count) {
    return LongStream.rangeClosed(1, count).mapToObj(OrdersImpl::order);
  }

  @Override
  public Flow.Publisher<Order> search(String customer) {
    return subscriber -> {
      SubmissionPublisher<Order> publisher = new SubmissionPublisher<>();
      publisher.subscribe(subscriber);
      for (long id = 1; id <= 3; id++) {
        publisher.submit(new Order(id, customer, id * 100));
      }
      publisher.close();
    };
  }

  private static Order order(long id) {
    return new Order(id, "customer-" + (id % 7), 100 * id + 99);
  }
}
