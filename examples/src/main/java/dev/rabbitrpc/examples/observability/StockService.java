package dev.rabbitrpc.examples.observability;

import dev.rabbitrpc.api.RpcService;

/** The observability example's service: reserves articles from a stock; one of them has run out. */
@RpcService(queue = "observability_stock")
public interface StockService {
  /**
   * Takes {@code quantity} of an article from the stock.
   *
   * @param sku the article
   * @param quantity how many
   * @return how many are left
   * @throws OutOfStockException when there are not that many left
   */
  int reserve(String sku, int quantity) throws OutOfStockException;

  /** Declared by {@link StockService#reserve}: the client gets it back as this type. */
  class OutOfStockException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * The exception.
     *
     * @param message which article
     */
    public OutOfStockException(String message) {
      super(message);
    }
  }

  /** A stock of 100 of every article but toner, which has run out. Thread-safe. */
  final class Impl implements StockService {
    private final java.util.Map<String, Integer> left = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public int reserve(String sku, int quantity) throws OutOfStockException {
      int[] after = new int[1];
      left.compute(sku, (article, now) -> {
        int stock = now != null ? now : "toner".equals(article) ? 0 : 100;
        after[0] = stock - quantity;
        return after[0] < 0 ? stock : after[0];
      });
      if (after[0] < 0) {
        throw new OutOfStockException(sku + " is out of stock");
      }
      return after[0];
    }
  }
}
