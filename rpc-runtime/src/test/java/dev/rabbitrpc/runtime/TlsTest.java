package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * amqps:// wiring with a real TLS handshake: the client trusts only the JVM's trust store and
 * checks the host name. The certificates are made with the JDK's keytool; the client runs in a
 * child JVM whose default trust store holds them.
 */
class TlsTest {
  @TempDir Path dir;

  private static final String PASSWORD = "changeit";

  private void keytool(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "keytool");
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "keytool finished");
    assertEquals(0, process.exitValue(), output);
  }

  /** A server key pair whose certificate names {@code san}, and a trust store holding that certificate. */
  private void makeCertificate(String name, String san) throws Exception {
    keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-dname", "CN=" + name, "-ext", "SAN=" + san,
        "-validity", "2", "-keystore", name + ".p12", "-storetype", "PKCS12", "-storepass", PASSWORD);
    keytool("-exportcert", "-alias", name, "-keystore", name + ".p12", "-storepass", PASSWORD, "-file", name + ".cer");
    keytool("-importcert", "-noprompt", "-alias", name, "-file", name + ".cer", "-keystore", name + "-trust.p12",
        "-storetype", "PKCS12", "-storepass", PASSWORD);
  }

  private record Handshake(boolean completed, String clientOutput) {}

  /** A TLS server with the named certificate; the child JVM's client connects to it. */
  private Handshake connect(String name) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(dir.resolve(name + ".p12").toFile())) {
      keys.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, PASSWORD.toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keyManagers.getKeyManagers(), null, null);
    try (SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory()
        .createServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Boolean> handshake = CompletableFuture.supplyAsync(() -> {
        try (SSLSocket socket = (SSLSocket) server.accept()) {
          socket.setSoTimeout(10_000);
          socket.startHandshake();
          socket.getInputStream().read(); // the AMQP header arrives only after a completed handshake
          return true;
        } catch (Exception e) {
          return false;
        }
      });
      Process client = new ProcessBuilder(
          System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
          "-Djavax.net.ssl.trustStore=" + dir.resolve(name + "-trust.p12"),
          "-Djavax.net.ssl.trustStorePassword=" + PASSWORD,
          "-Djavax.net.ssl.trustStoreType=PKCS12",
          "-cp", System.getProperty("java.class.path"), TlsClientMain.class.getName(),
          String.valueOf(server.getLocalPort()))
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String output = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(client.waitFor(60, TimeUnit.SECONDS), "client finished");
      return new Handshake(handshake.get(30, TimeUnit.SECONDS), output);
    }
  }

  @Test
  void refusesACertificateIssuedForAnotherHostEvenWhenTrusted() throws Exception {
    makeCertificate("wrong", "DNS:wrong.example");
    Handshake result = connect("wrong");
    assertFalse(result.completed(), "handshake must fail: " + result.clientOutput());
    assertTrue(result.clientOutput().contains("UNAVAILABLE") || result.clientOutput().contains("RpcException"),
        result.clientOutput());
    assertTrue(result.clientOutput().contains("127.0.0.1"), result.clientOutput());
    assertFalse(result.clientOutput().contains("guest:guest"), "no credentials: " + result.clientOutput());
  }

  @Test
  void completesTheHandshakeWithATrustedCertificateForTheHost() throws Exception {
    makeCertificate("right", "IP:127.0.0.1");
    Handshake result = connect("right");
    assertTrue(result.completed(), "handshake must complete: " + result.clientOutput());
  }

  @Test
  void refusesAnUntrustedCertificate() throws Exception {
    makeCertificate("right", "IP:127.0.0.1");
    makeCertificate("other", "DNS:other.example");
    Files.copy(dir.resolve("other-trust.p12"), dir.resolve("right-trust.p12"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Handshake result = connect("right");
    assertFalse(result.completed(), "an untrusted certificate must not be accepted: " + result.clientOutput());
  }
}
