package dev.rabbitrpc.spring.managed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootVersion;

/**
 * The class path this module's tests run on is a Boot application's: the versions of amqp-client and
 * Jackson 2 that spring-boot-starter-parent manages (its properties, passed by the POM), not the ones
 * the rest of rabbit-rpc builds with; and that parent is the Boot version the project builds with.
 */
class BootManagedVersionsTest {
  private static String property(String name) {
    String value = System.getProperty(name);
    assertNotNull(value, () -> "system property " + name + " (set by the POM)");
    return value;
  }

  @Test
  void amqpClientIsTheVersionBootManages() {
    assertEquals(property("boot.rabbit-amqp-client.version"), com.rabbitmq.client.impl.ClientVersion.VERSION);
  }

  @Test
  void jackson2IsTheVersionBootManages() {
    assertEquals(property("boot.jackson-2-bom.version"),
        com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION.toString());
  }

  @Test
  void bootIsTheVersionTheProjectBuildsWith() throws Exception {
    String rootPom = Files.readString(Path.of(property("rabbit-rpc.root-pom")));
    Matcher version = Pattern.compile("<spring-boot.version>([^<]+)</spring-boot.version>").matcher(rootPom);
    assertTrue(version.find(), "the root pom's spring-boot.version");
    assertEquals(version.group(1).trim(), property("boot.spring-boot.version"),
        "this module's spring-boot-starter-parent version");
    assertEquals(version.group(1).trim(), SpringBootVersion.getVersion());
  }
}
