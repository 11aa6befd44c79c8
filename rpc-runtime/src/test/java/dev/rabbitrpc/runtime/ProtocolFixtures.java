package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.CallKey;
import dev.rabbitrpc.api.Deduplicated;
import dev.rabbitrpc.api.Encoding;
import dev.rabbitrpc.api.RpcService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The services of the protocol test vectors (docs/protocol-vectors/README.md) and their
 * implementations: what a vector's request calls and what produces its reply.
 */
final class ProtocolFixtures {
  private ProtocolFixtures() {}

  /** The tutorial's service: one method of one argument, so it also answers plain text. */
  @RpcService(queue = "protocol-vectors.fibonacci")
  interface Fibonacci {
    int fib(int n);
  }

  /** The same service as the tutorial's Python server offers it: called in plain text. */
  @RpcService(queue = "protocol-vectors.fibonacci", plainText = true)
  interface PlainFibonacci {
    int fib(int n);
  }

  record Book(String title, String author, int year) {}

  static final class BookNotFoundException extends Exception {
    private static final long serialVersionUID = 1L;

    public BookNotFoundException(String message) {
      super(message);
    }
  }

  /** A service of several methods: records, generic collections, void, a declared exception. */
  @RpcService(queue = "protocol-vectors.catalog")
  interface Catalog {
    Map<String, List<Book>> byAuthor(List<Book> books);

    void clear();

    Book find(String isbn) throws BookNotFoundException;

    int divide(int dividend, int divisor);

    /** The cover image of a book: bytes, a byte string in CBOR (base64 text in JSON). */
    byte[] cover(String isbn) throws BookNotFoundException;
  }

  /** A streaming service (docs/protocol-vectors/streams). */
  @RpcService(queue = "protocol-vectors.shelf")
  interface Shelf {
    /** The books of these ISBNs, one stream item each, in order; fails at the first unknown one. */
    Stream<Book> findAll(List<String> isbns);
  }

  static final class PaymentDeclinedException extends Exception {
    private static final long serialVersionUID = 1L;

    public PaymentDeclinedException(String message) {
      super(message);
    }
  }

  /** A deduplicated service (docs/protocol-vectors/replays): its calls run at most once per order id. */
  @RpcService(queue = "protocol-vectors.payments")
  interface Payments {
    /** Charges an order once: its receipt; declines amounts over 1000 (a declared exception, kept and replayed). */
    @Deduplicated
    String pay(@CallKey String orderId, int amount) throws PaymentDeclinedException;
  }

  /** {@link Fibonacci} called in CBOR. */
  @RpcService(queue = "protocol-vectors.fibonacci", encoding = Encoding.CBOR)
  interface CborFibonacci extends Fibonacci {}

  /** {@link Catalog} called in CBOR. */
  @RpcService(queue = "protocol-vectors.catalog", encoding = Encoding.CBOR)
  interface CborCatalog extends Catalog {}

  /** A newer client of the catalog: it calls a method the server does not have. */
  @RpcService(queue = "protocol-vectors.catalog")
  interface NewerCatalog {
    void remove(String isbn);
  }

  /** An out-of-date client of the catalog: its divide sends the divisor as text. */
  @RpcService(queue = "protocol-vectors.catalog")
  interface OlderCatalog {
    int divide(int dividend, String divisor);
  }

  static final class FibonacciImpl implements Fibonacci {
    @Override
    public int fib(int n) {
      if (n < 0 || n > 46) {
        throw new IllegalArgumentException("n must be between 0 and 46, got " + n);
      }
      int previous = 0;
      int current = n == 0 ? 0 : 1;
      for (int i = 2; i <= n; i++) {
        int next = previous + current;
        previous = current;
        current = next;
      }
      return current;
    }
  }

  /** Counts its runs: receipt n is the n-th run's, so a reply that ran twice would show it. */
  static final class PaymentsImpl implements Payments {
    final AtomicInteger runs = new AtomicInteger();

    @Override
    public String pay(String orderId, int amount) throws PaymentDeclinedException {
      int run = runs.incrementAndGet();
      if (amount > 1000) {
        throw new PaymentDeclinedException("order " + orderId + ": " + amount + " is over the limit of 1000");
      }
      return "receipt-" + run;
    }
  }

  static final class ShelfImpl implements Shelf {
    @Override
    public Stream<Book> findAll(List<String> isbns) {
      CatalogImpl catalog = new CatalogImpl();
      return isbns.stream().map(isbn -> {
        try {
          return catalog.find(isbn);
        } catch (BookNotFoundException e) {
          throw new IllegalArgumentException(e.getMessage(), e);
        }
      });
    }
  }

  static final class CatalogImpl implements Catalog {
    @Override
    public Map<String, List<Book>> byAuthor(List<Book> books) {
      Map<String, List<Book>> grouped = new TreeMap<>();
      for (Book book : books) {
        grouped.computeIfAbsent(book.author(), author -> new ArrayList<>()).add(book);
      }
      return grouped;
    }

    @Override
    public void clear() {
      // nothing is stored: the vector only shows the void reply
    }

    @Override
    public Book find(String isbn) throws BookNotFoundException {
      if (isbn.equals("978-0-14-143951-8")) {
        return new Book("Pride and Prejudice", "Jane Austen", 1813);
      }
      throw new BookNotFoundException("no book with ISBN " + isbn);
    }

    @Override
    public int divide(int dividend, int divisor) {
      return dividend / divisor;
    }

    @Override
    public byte[] cover(String isbn) throws BookNotFoundException {
      find(isbn);
      byte[] image = new byte[16];
      for (int i = 0; i < image.length; i++) {
        image[i] = (byte) i;
      }
      return image;
    }
  }
}
