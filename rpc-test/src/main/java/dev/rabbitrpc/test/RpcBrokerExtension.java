package dev.rabbitrpc.test;

import dev.rabbitrpc.runtime.RpcClient;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit 5 extension behind {@link RpcBrokerTest}: chooses and starts the broker once per JVM
 * (stopping it when the run ends), skips tests marked {@link RequiresRabbitMq} on other brokers,
 * injects {@link RpcClient} and {@link RpcBroker} parameters (of test, lifecycle and, per test,
 * constructor methods), and after each test fails it if a
 * client it made still has calls pending, then closes what the test made.
 *
 * <p>Modes ({@code rpc.test.broker}, a system property or JUnit configuration parameter):
 * <ul>
 *   <li>{@code auto} (default): {@code RPC_AMQP_URI}, else RabbitMQ on localhost:5672 if it
 *       answers, else a Testcontainers RabbitMQ if Docker is available, else the embedded broker;
 *   <li>{@code rabbitmq}: the same without the embedded broker: with no RabbitMQ the tests fail;
 *   <li>{@code testcontainers}: a RabbitMQ container; without Docker the tests are skipped;
 *   <li>{@code embedded}: the embedded broker.
 * </ul>
 *
 * <p>Stateless and thread-safe: its state lives in JUnit's extension stores.
 */
public final class RpcBrokerExtension implements ExecutionCondition, ParameterResolver, AfterEachCallback, AfterAllCallback {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RpcBrokerExtension.class);

  /** The broker of this test run, chosen and started on first need. */
  static SharedBroker sharedBroker(ExtensionContext context) {
    BrokerChoice.Mode mode;
    try {
      mode = BrokerChoice.Mode.parse(context.getConfigurationParameter(BrokerChoice.MODE_PROPERTY).orElse(null));
    } catch (IllegalArgumentException e) {
      throw new ExtensionConfigurationException(e.getMessage(), e);
    }
    // The root store outlives every test class and closes the broker when the run ends.
    return context.getRoot().getStore(NAMESPACE)
        .getOrComputeIfAbsent(SharedBroker.class.getName() + "/" + mode, key -> SharedBroker.resolve(mode), SharedBroker.class);
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    SharedBroker broker = sharedBroker(context);
    if (!broker.available()) {
      if (broker.choice.kind == BrokerChoice.Kind.FAIL) {
        throw new ExtensionConfigurationException("no broker for rabbit-rpc tests: " + broker.choice.reason);
      }
      return ConditionEvaluationResult.disabled("no broker for rabbit-rpc tests: " + broker.choice.reason);
    }
    Optional<RequiresRabbitMq> requires = AnnotationSupport.findAnnotation(context.getElement(), RequiresRabbitMq.class);
    if (requires.isPresent() && !broker.rabbitMq) {
      return ConditionEvaluationResult.disabled("requires RabbitMQ (" + requires.get().value() + "); the test broker is "
          + broker.description);
    }
    return ConditionEvaluationResult.enabled("test broker: " + broker.description);
  }

  /** Constructor parameters get the test method's handle, closed after that test like the others. */
  @Override
  public ExtensionContextScope getTestInstantiationExtensionContextScope(ExtensionContext rootContext) {
    return ExtensionContextScope.TEST_METHOD;
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == RpcClient.class || type == RpcBroker.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    RpcBroker broker = handle(context, true);
    return parameter.getParameter().getType() == RpcClient.class ? broker.client() : broker;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    close(context);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    close(context);
  }

  private static void close(ExtensionContext context) throws Exception {
    RpcBroker broker = handle(context, false);
    if (broker != null) {
      broker.verifyAndClose();
    }
  }

  /**
   * The handle of this context (a test method, or a class for {@code @BeforeAll} and constructor
   * parameters). Keyed by the context's id because a store also answers with its parents' values.
   */
  private static RpcBroker handle(ExtensionContext context, boolean create) {
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    String key = RpcBroker.class.getName() + "/" + context.getUniqueId();
    if (!create) {
      return store.get(key, RpcBroker.class);
    }
    return store.getOrComputeIfAbsent(key, k -> new RpcBroker(sharedBroker(context)), RpcBroker.class);
  }
}
