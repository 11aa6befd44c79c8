package dev.rabbitrpc.examples.spring;

import dev.rabbitrpc.api.RpcService;
import java.math.BigDecimal;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A second service: records, a declared exception and an asynchronous method. */
@RpcService(queue = "spring_orders")
public interface OrderService {
  /**
   * An order line.
   *
   * @param sku the article
   * @param quantity how many
   */
  record Line(String sku, int quantity) {}

  /**
   * A priced order line.
   *
   * @param line the line
   * @param total its price
   */
  record Quote(Line line, BigDecimal total) {}

  /**
   * Prices one line.
   *
   * @param line the line
   * @return its quote
   * @throws OutOfStockException when the article is not in stock
   */
  Quote quote(Line line) throws OutOfStockException;

  /**
   * Prices the lines that are in stock, without blocking the caller.
   *
   * @param lines the lines
   * @return the quotes of the lines in stock
   */
  CompletableFuture<List<Quote>> quoteAll(List<Line> lines);
}
