package dev.rabbitrpc.runtime;

import dev.rabbitrpc.api.RpcException;
import dev.rabbitrpc.api.RpcException.Code;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The interceptor chains: each link calls the next interceptor, the last one the terminal (the
 * send, or the implementation). A link never throws: an interceptor's exception, or a null stage,
 * becomes a failed stage, so that every interceptor sees every failure the same way.
 */
final class Chains {
  private Chains() {}

  static final class Client implements ClientInterceptor.Chain {
    private final List<ClientInterceptor> interceptors;
    private final int index;
    private final ClientInterceptor.Chain terminal;

    Client(List<ClientInterceptor> interceptors, int index, ClientInterceptor.Chain terminal) {
      this.interceptors = interceptors;
      this.index = index;
      this.terminal = terminal;
    }

    @Override
    public CompletionStage<Object> proceed(ClientCall call) {
      if (index == interceptors.size()) {
        return terminal.proceed(call);
      }
      ClientInterceptor interceptor = interceptors.get(index);
      try {
        return nonNull(interceptor.intercept(call, new Client(interceptors, index + 1, terminal)), interceptor);
      } catch (RuntimeException | Error e) {
        return CompletableFuture.failedFuture(e);
      }
    }
  }

  /**
   * A server chain also remembers the last call passed on through any of its links: the reply
   * carries that call's reply headers ({@link ServerCall#withReplyHeader}). Links run on the
   * worker's thread (ServerInterceptor, "Threads"), which reads it once the chain has returned.
   */
  static final class Server implements ServerInterceptor.Chain {
    private final List<ServerInterceptor> interceptors;
    private final int index;
    private final ServerInterceptor.Chain terminal;
    /** The chain's first link, which holds {@link #lastCall}. */
    private final Server head;
    private ServerCall lastCall;

    Server(List<ServerInterceptor> interceptors, ServerInterceptor.Chain terminal) {
      this.interceptors = interceptors;
      this.index = 0;
      this.terminal = terminal;
      this.head = this;
    }

    private Server(Server head, int index) {
      this.interceptors = head.interceptors;
      this.index = index;
      this.terminal = head.terminal;
      this.head = head;
    }

    /** The last call passed on through this chain, or null if it was never proceeded. */
    ServerCall lastCall() {
      return head.lastCall;
    }

    @Override
    public CompletionStage<Object> proceed(ServerCall call) {
      head.lastCall = call;
      if (index == interceptors.size()) {
        return terminal.proceed(call);
      }
      ServerInterceptor interceptor = interceptors.get(index);
      try {
        return nonNull(interceptor.intercept(call, new Server(head, index + 1)), interceptor);
      } catch (RuntimeException | Error e) {
        return CompletableFuture.failedFuture(e);
      }
    }
  }

  private static CompletionStage<Object> nonNull(CompletionStage<Object> stage, Object interceptor) {
    return stage != null ? stage : CompletableFuture.failedFuture(
        new RpcException(Code.INTERNAL, "interceptor " + interceptor.getClass().getName() + " returned null"));
  }
}
