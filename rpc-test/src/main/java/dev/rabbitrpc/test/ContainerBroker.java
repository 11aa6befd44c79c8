package dev.rabbitrpc.test;

import java.util.Optional;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.rabbitmq.RabbitMQContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The Testcontainers branch: a RabbitMQ container for machines with Docker and no RabbitMQ. The
 * only class that names Testcontainers types, so that the rest works without Testcontainers on the
 * classpath; callers check that Testcontainers is there first.
 *
 * <p>Thread-safe (its methods are static and Testcontainers' are).
 */
final class ContainerBroker {
  /** The image to run; {@code -Drpc.test.rabbitmq.image=…} picks another. */
  static final String IMAGE_PROPERTY = "rpc.test.rabbitmq.image";
  static final String DEFAULT_IMAGE = "rabbitmq:4.1";

  private ContainerBroker() {}

  /** Empty when Docker can run containers, else why not. */
  static Optional<String> dockerUnavailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable() ? Optional.empty()
          : Optional.of("Testcontainers found no Docker environment (DOCKER_HOST, a Docker socket or ~/.testcontainers.properties)");
    } catch (RuntimeException | LinkageError e) {
      return Optional.of("Testcontainers failed to look for Docker: " + e);
    }
  }

  /** Starts a RabbitMQ container; closing the result stops it. */
  static SharedBroker.Started start(String image) {
    RabbitMQContainer container = new RabbitMQContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("rabbitmq"));
    container.start();
    String uri = "amqp://" + container.getAdminUsername() + ":" + container.getAdminPassword() + "@"
        + container.getHost() + ":" + container.getAmqpPort();
    return new SharedBroker.Started(uri, "a RabbitMQ container (" + image + ")", container::stop);
  }
}
