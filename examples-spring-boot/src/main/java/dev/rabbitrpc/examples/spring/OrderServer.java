package dev.rabbitrpc.examples.spring;

import dev.rabbitrpc.spring.RpcExport;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.springframework.stereotype.Component;

/** Serves {@link OrderService} from a fixed price list. */
@Component
@RpcExport
class OrderServer implements OrderService {
  private static final Map<String, BigDecimal> PRICES = Map.of("book", new BigDecimal("12.50"), "pen", new BigDecimal("1.20"));

  @Override
  public Quote quote(Line line) throws OutOfStockException {
    BigDecimal price = PRICES.get(line.sku());
    if (price == null) {
      throw new OutOfStockException(line.sku() + " is out of stock");
    }
    return new Quote(line, price.multiply(BigDecimal.valueOf(line.quantity())));
  }

  @Override
  public CompletableFuture<List<Quote>> quoteAll(List<Line> lines) {
    return CompletableFuture.supplyAsync(() -> {
      List<Quote> quotes = new ArrayList<>();
      for (Line line : lines) {
        try {
          quotes.add(quote(line));
        } catch (OutOfStockException e) {
          // only the lines in stock
        }
      }
      return quotes;
    });
  }
}
