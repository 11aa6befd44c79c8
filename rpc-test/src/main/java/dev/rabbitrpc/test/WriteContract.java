package dev.rabbitrpc.test;

import dev.rabbitrpc.runtime.AsyncApi;
import dev.rabbitrpc.runtime.ServiceContract;
import java.nio.file.Path;

/**
 * Writes the contract of a service interface to a file, for a build to check in at a release and
 * compare later ({@link ContractAssertions#assertCompatible(Path, Class)}), and, if asked, its
 * AsyncAPI 3.0 document ({@link AsyncApi}) beside it, for AsyncAPI tools:
 *
 * <pre>java -cp … dev.rabbitrpc.test.WriteContract com.example.Orders src/test/resources/contracts/Orders.json \
 *     [--asyncapi target/asyncapi/Orders.json]</pre>
 *
 * or with Maven's exec plugin (docs/guide/testing.md, "Catching breaking changes"). The interface is
 * loaded through the thread's context class loader (the project's classes under {@code exec:java}).
 * Exits with status 2 and one line on standard error on bad arguments or an unusable interface.
 * Stateless.
 */
public final class WriteContract {
  private static final String USAGE = "usage: WriteContract <service interface class name> <out.json> [--asyncapi <asyncapi.json>]";

  private WriteContract() {}

  /**
   * Writes the contract, and the AsyncAPI document with {@code --asyncapi FILE}.
   *
   * @param args the interface's binary name ({@code com.example.Outer$Inner} for a nested one), the file to write, and
   *     optionally {@code --asyncapi} and the file to write the AsyncAPI document to
   */
  public static void main(String[] args) {
    if (args.length != 2 && (args.length != 4 || !args[2].equals("--asyncapi"))) {
      System.err.println(USAGE);
      System.exit(2);
    }
    try {
      Path written = write(args[0], Path.of(args[1]));
      System.out.println("wrote the contract of " + args[0] + " to " + written);
      if (args.length == 4) {
        Path document = writeAsyncApi(args[0], Path.of(args[3]));
        System.out.println("wrote the AsyncAPI document of " + args[0] + " to " + document);
      }
    } catch (IllegalArgumentException e) {
      System.err.println("WriteContract: " + e.getMessage());
      System.exit(2);
    }
  }

  /**
   * What {@link #main} does, without exiting: writes the contract of the interface named
   * {@code serviceClassName} to {@code out} and returns {@code out}.
   *
   * @throws IllegalArgumentException if there is no such class or it is not a usable service interface
   */
  public static Path write(String serviceClassName, Path out) {
    ContractFile.write(ServiceContract.of(load(serviceClassName)), out);
    return out;
  }

  /**
   * What {@link #main} does with {@code --asyncapi}, without exiting: writes the AsyncAPI 3.0
   * document of the interface named {@code serviceClassName} ({@link AsyncApi#document(ServiceContract)},
   * indented JSON) to {@code out} and returns {@code out}.
   *
   * @throws IllegalArgumentException if there is no such class or it is not a usable service interface
   */
  public static Path writeAsyncApi(String serviceClassName, Path out) {
    ContractFile.writeJson(AsyncApi.document(ServiceContract.of(load(serviceClassName))), out, "the AsyncAPI document");
    return out;
  }

  private static Class<?> load(String serviceClassName) {
    try {
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      return Class.forName(serviceClassName, false, loader != null ? loader : WriteContract.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("no class " + serviceClassName + " on the class path", e);
    }
  }
}
