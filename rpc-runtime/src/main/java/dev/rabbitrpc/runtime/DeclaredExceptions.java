package dev.rabbitrpc.runtime;

/**
 * Which exception a client rebuilds from an error reply's {@code rpc-error-type}, and rebuilding
 * it: only a type the method declares, or one the application registered that extends one, is ever
 * instantiated, so that a server cannot make the client construct an arbitrary class of its class
 * path. Stateless.
 */
final class DeclaredExceptions {
  private DeclaredExceptions() {}

  /**
   * The exception to rethrow for a remote one of class {@code type}, or null to keep the
   * {@code RpcException}. Only two kinds of class are ever instantiated, so that a server cannot make
   * the client construct an arbitrary class of its class path: a type the method declares, and a
   * type the application registered that extends one. A remote type that is neither but extends a
   * declared type (loaded without initialising it) is rethrown as the most specific such declared
   * type; {@code remoteType()} of its cause still names the remote class.
   */
  static Throwable rebuild(MethodDescriptor method, String type, String message,
      java.util.Set<Class<? extends Throwable>> registered) {
    if (method.declaredExceptions.isEmpty()) {
      return null;
    }
    Class<? extends Throwable> match = named(method.declaredExceptions, type);
    if (match == null) {
      Class<? extends Throwable> known = named(registered, type);
      match = known != null && declaredSupertype(method, known) != null ? known : null;
    }
    if (match == null) {
      try {
        // initialize=false: a name from the wire never runs a static initializer, and is never instantiated.
        Class<?> remote = Class.forName(type, false, method.method.getDeclaringClass().getClassLoader());
        match = declaredSupertype(method, remote);
      } catch (ClassNotFoundException | LinkageError notHere) {
        return null;
      }
    }
    if (match == null || java.lang.reflect.Modifier.isAbstract(match.getModifiers())) {
      return null;
    }
    try {
      return match.getConstructor(String.class).newInstance(message);
    } catch (ReflectiveOperationException | RuntimeException noStringConstructor) {
      try {
        return match.getConstructor().newInstance();
      } catch (ReflectiveOperationException | RuntimeException noConstructor) {
        return null;
      }
    }
  }

  private static Class<? extends Throwable> named(java.util.Collection<Class<? extends Throwable>> types, String name) {
    for (Class<? extends Throwable> candidate : types) {
      if (candidate.getName().equals(name)) {
        return candidate;
      }
    }
    return null;
  }

  /** The most specific type the method declares that {@code type} extends, or null. */
  private static Class<? extends Throwable> declaredSupertype(MethodDescriptor method, Class<?> type) {
    Class<? extends Throwable> best = null;
    for (Class<? extends Throwable> declared : method.declaredExceptions) {
      if (declared.isAssignableFrom(type) && (best == null || best.isAssignableFrom(declared))) {
        best = declared;
      }
    }
    return best;
  }
}
