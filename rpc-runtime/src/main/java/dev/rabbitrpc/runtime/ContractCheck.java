package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opt-in check of a proxy's first call ({@link RpcClient.Builder#verifyContracts(boolean)}):
 * before the proxy's first call is sent, its server's contract is compared with the interface
 * ({@link RpcClient#verify(Class)}). Breaking changes fail that call and every later one of the
 * proxy with the same {@code PROTOCOL} error; a contract that fits, or a server that does not
 * describe itself ({@code UNKNOWN_METHOD}), lets every call through and is not asked again. When
 * the answer cannot be had (no server yet, a deadline), the call goes on and the next one asks again.
 *
 * <p>Thread-safe: one check runs at a time; the others wait for it (bounded by its describe's deadline).
 */
final class ContractCheck {
  private static final Logger log = LoggerFactory.getLogger(ContractCheck.class);

  private final ServiceDescriptor service;
  private final Consumer<ServiceDescriptor> verify;
  /** Set once the answer is known: passed, or the failure every call gets. */
  private volatile boolean settled;
  private volatile RpcException broken;

  ContractCheck(ServiceDescriptor service, Consumer<ServiceDescriptor> verify) {
    this.service = service;
    this.verify = verify;
  }

  /** Throws the breaking changes if the server cannot talk with this interface; checks first if not known yet. */
  void beforeCall() {
    if (!settled) {
      check();
    }
    RpcException failure = broken;
    if (failure != null) {
      throw new RpcException(Code.PROTOCOL, failure.getMessage(), failure);
    }
  }

  private synchronized void check() {
    if (settled) {
      return;
    }
    try {
      verify.accept(service);
      settled = true;
    } catch (RpcException e) {
      if (e.code() == Code.PROTOCOL) {
        broken = e;
        settled = true;
      } else if (e.code() == Code.UNKNOWN_METHOD) {
        log.info("cannot verify {} against the server on {}: it does not describe itself", service.type.getName(),
            service.queue);
        settled = true;
      } else {
        log.debug("could not verify {} yet: {} {}", service.type.getName(), e.code(), e.getMessage());
      }
    }
  }
}
