package dev.rabbitrpc.test;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.rabbitrpc.runtime.ServiceContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A service's contract as a file: the JSON object of docs/PROTOCOL.md, "Describing a service", as
 * {@code rpc.describe} answers it, indented for review and diffs. A build checks the contract of
 * its last release into the repository ({@link WriteContract}) and compares the interface with it
 * ({@link ContractAssertions}). Stateless.
 */
public final class ContractFile {
  /** Reads fields it does not know, as every reader of a contract must (protocol §8). */
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .build();

  private ContractFile() {}

  /**
   * The contract in {@code file}.
   *
   * @throws UncheckedIOException if it cannot be read or is not a contract
   */
  public static ServiceContract read(Path file) {
    try {
      return MAPPER.readValue(file.toFile(), ServiceContract.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the contract in " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes {@code contract} to {@code file} (UTF-8, indented, ending in a newline), creating its
   * parent directories and replacing the file if there is one.
   *
   * @throws UncheckedIOException if it cannot be written
   */
  public static void write(ServiceContract contract, Path file) {
    writeJson(contract, file, "the contract");
  }

  /** Writes {@code value} to {@code file} as {@link #write} does; {@code what} names it in the exception. */
  static void writeJson(Object value, Path file, String what) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, MAPPER.writeValueAsString(value) + System.lineSeparator());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + what + " to " + file + ": " + e.getMessage(), e);
    }
  }
}
