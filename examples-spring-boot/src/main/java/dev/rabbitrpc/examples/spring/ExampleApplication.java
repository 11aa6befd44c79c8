package dev.rabbitrpc.examples.spring;

import dev.rabbitrpc.examples.fibonacci.FibonacciService;
import dev.rabbitrpc.examples.fibonacci.FibonacciServiceImpl;
import dev.rabbitrpc.examples.spring.OrderService.Line;
import dev.rabbitrpc.spring.ImportRpcClients;
import dev.rabbitrpc.spring.RpcExport;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * Serves and calls the tutorial's Fibonacci service and an order service through RabbitMQ
 * ({@code spring.rabbitmq.*}, default localhost:5672), prints the tutorial's lines and exits:
 * {@code java -jar rabbit-rpc-spring-example.jar [N]}.
 */
@SpringBootApplication
@ImportRpcClients(types = {FibonacciService.class, OrderService.class})
public class ExampleApplication {
  /**
   * Runs the example.
   *
   * @param args optionally N, default 30
   */
  public static void main(String[] args) {
    System.exit(SpringApplication.exit(SpringApplication.run(ExampleApplication.class, args)));
  }

  /** The tutorial's implementation, on the tutorial's queue {@code rpc_queue}. */
  @Bean
  @RpcExport
  FibonacciServiceImpl fibonacciServer() {
    return new FibonacciServiceImpl();
  }

  /**
   * The injected proxies call the exported beans over the broker; then the server's timers, which the
   * starter's Micrometer instrumentation recorded in Actuator's meter registry, count the requests by
   * status (also at {@code /actuator/metrics/rabbit.rpc.server} in a web application).
   */
  @Bean
  ApplicationRunner demo(FibonacciService fibonacci, OrderService orders, MeterRegistry meters) {
    return args -> {
      int n = args.getNonOptionArgs().isEmpty() ? 30 : Integer.parseInt(args.getNonOptionArgs().get(0));
      System.out.println(" [x] Awaiting RPC requests");
      System.out.println(" [x] Requesting fib(" + n + ")");
      System.out.println(" [.] Got " + fibonacci.fib(n));

      System.out.println(" [x] Requesting quote(book x 2)");
      System.out.println(" [.] Got " + orders.quote(new Line("book", 2)));
      try {
        orders.quote(new Line("ink", 1));
      } catch (OutOfStockException e) {
        System.out.println(" [.] Got OutOfStockException: " + e.getMessage());
      }
      List<Line> lines = List.of(new Line("pen", 3), new Line("ink", 1), new Line("book", 1));
      System.out.println(" [x] Requesting quoteAll(" + lines.size() + " lines), asynchronously");
      System.out.println(" [.] Got " + orders.quoteAll(lines).get(10, TimeUnit.SECONDS));

      Map<String, Long> byStatus = new TreeMap<>();
      for (Timer timer : meters.find("rabbit.rpc.server").timers()) {
        byStatus.merge(timer.getId().getTag("rpc.status_code"), timer.count(), Long::sum);
      }
      System.out.println(" [.] rabbit.rpc.server requests by rpc.status_code: " + byStatus);
    };
  }
}
