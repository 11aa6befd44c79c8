package dev.rabbitrpc.test;

import dev.rabbitrpc.runtime.ServiceContract;
import java.nio.file.Path;

/**
 * Writes the contract of a service interface to a file, for a build to check in at a release and
 * compare later ({@link ContractAssertions#assertCompatible(Path, Class)}):
 *
 * <pre>java -cp … dev.rabbitrpc.test.WriteContract com.example.Orders src/test/resources/contracts/Orders.json</pre>
 *
 * or with Maven's exec plugin (docs/guide/testing.md, "Catching breaking changes"). The interface is
 * loaded through the thread's context class loader (the project's classes under {@code exec:java}).
 * Exits with status 2 and one line on standard error on bad arguments or an unusable interface.
 */
public final class WriteContract {
  private WriteContract() {}

  /**
   * Writes the contract.
   *
   * @param args the interface's binary name ({@code com.example.Outer$Inner} for a nested one) and the file to write
   */
  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: WriteContract <service interface class name> <out.json>");
      System.exit(2);
    }
    try {
      Path written = write(args[0], Path.of(args[1]));
      System.out.println("wrote the contract of " + args[0] + " to " + written);
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
    Class<?> service;
    try {
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      service = Class.forName(serviceClassName, false, loader != null ? loader : WriteContract.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("no class " + serviceClassName + " on the class path", e);
    }
    ContractFile.write(ServiceContract.of(service), out);
    return out;
  }
}
