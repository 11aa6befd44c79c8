package dev.rabbitrpc.spring;

import dev.rabbitrpc.api.RpcService;
import dev.rabbitrpc.runtime.RpcClient;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.annotation.AnnotatedBeanDefinition;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.ResourceLoaderAware;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.util.ClassUtils;

/** Registers the proxy beans {@link ImportRpcClients} asks for. Runs once per import, at configuration time. */
final class RpcClientsRegistrar implements ImportBeanDefinitionRegistrar, BeanFactoryAware, EnvironmentAware,
    ResourceLoaderAware {
  /** Bean definition attribute naming the interface of an imported proxy, for the health indicator. */
  static final String IMPORTED_SERVICE = RpcClientsRegistrar.class.getName() + ".service";

  private BeanFactory beanFactory;
  private Environment environment;
  private ResourceLoader resourceLoader;

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public void setResourceLoader(ResourceLoader resourceLoader) {
    this.resourceLoader = resourceLoader;
  }

  @Override
  public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
    Map<String, Object> attributes = metadata.getAnnotationAttributes(ImportRpcClients.class.getName());
    if (attributes == null) {
      return;
    }
    Set<Class<?>> services = new LinkedHashSet<>();
    for (Class<?> type : (Class<?>[]) attributes.get("types")) {
      services.add(type);
    }
    Set<String> packages = new LinkedHashSet<>();
    for (String name : (String[]) attributes.get("basePackages")) {
      packages.add(name);
    }
    for (Class<?> type : (Class<?>[]) attributes.get("basePackageClasses")) {
      packages.add(type.getPackageName());
    }
    if (services.isEmpty() && packages.isEmpty()) {
      packages.add(ClassUtils.getPackageName(metadata.getClassName()));
    }
    for (String basePackage : packages) {
      services.addAll(scan(basePackage));
    }
    for (Class<?> service : services) {
      if (!service.isInterface()) {
        throw new IllegalArgumentException("@ImportRpcClients on " + metadata.getClassName() + ": "
            + service.getName() + " is not an interface");
      }
      String name = service.getName();
      if (registry.containsBeanDefinition(name)) {
        continue; // imported twice (two configurations name it): one proxy
      }
      RootBeanDefinition definition = new RootBeanDefinition(service);
      definition.setInstanceSupplier(() -> proxy(service));
      definition.setPrimary(true);
      definition.setAttribute(IMPORTED_SERVICE, service);
      registry.registerBeanDefinition(name, definition);
    }
  }

  private Object proxy(Class<?> service) {
    RpcClient client = beanFactory.getBean(RpcClient.class);
    RabbitRpcProperties properties =
        beanFactory.getBeanProvider(RabbitRpcProperties.class).getIfAvailable(RabbitRpcProperties::new);
    String queue = ServiceQueues.renamed(service, properties);
    return queue == null ? client.proxy(service) : client.proxy(service, queue);
  }

  private Set<Class<?>> scan(String basePackage) {
    ClassPathScanningCandidateComponentProvider scanner =
        new ClassPathScanningCandidateComponentProvider(false, environment) {
          @Override
          protected boolean isCandidateComponent(AnnotatedBeanDefinition definition) {
            return definition.getMetadata().isInterface() && definition.getMetadata().isIndependent();
          }
        };
    scanner.setResourceLoader(resourceLoader);
    scanner.addIncludeFilter(new AnnotationTypeFilter(RpcService.class));
    Set<Class<?>> found = new LinkedHashSet<>();
    ClassLoader classLoader = resourceLoader != null ? resourceLoader.getClassLoader() : null;
    for (BeanDefinition candidate : scanner.findCandidateComponents(basePackage)) {
      found.add(ClassUtils.resolveClassName(candidate.getBeanClassName(), classLoader));
    }
    return found;
  }
}
