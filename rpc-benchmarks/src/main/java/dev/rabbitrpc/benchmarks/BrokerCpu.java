package dev.rabbitrpc.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The CPU time of the local broker process that listens on a port, read from {@code /proc}: the
 * process owning the listening socket, so that other Erlang VMs on the machine (a RabbitMQ cluster
 * beside the default node, any other beam) are never mistaken for it. Linux only; elsewhere, or for
 * a remote broker, it finds nothing.
 */
final class BrokerCpu {
  private final Path stat;

  private BrokerCpu(Path stat) {
    this.stat = stat;
  }

  /** The process listening on {@code port} on this machine, or null if there is none to be found. */
  static BrokerCpu listeningOn(int port) {
    String inode = listeningSocketInode(port);
    if (inode == null) {
      return null;
    }
    String link = "socket:[" + inode + "]";
    try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path process : processes) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
          for (Path fd : fds) {
            if (link.equals(Files.readSymbolicLink(fd).toString())) {
              return new BrokerCpu(process.resolve("stat"));
            }
          }
        } catch (IOException | RuntimeException notOursOrGone) {
          // another user's process, or one that ended while being read
        }
      }
    } catch (IOException | RuntimeException noProc) {
      return null;
    }
    return null;
  }

  /** User + system CPU ticks of the process so far, or -1 if it is gone. */
  long ticks() {
    try {
      String line = Files.readString(stat);
      String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
    } catch (IOException | RuntimeException gone) {
      return -1;
    }
  }

  /** The inode of a socket listening on {@code port} (IPv4 or IPv6), from /proc/net/tcp*. */
  private static String listeningSocketInode(int port) {
    String hexPort = String.format(Locale.ROOT, ":%04X", port);
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] fields = line.trim().split("\\s+");
          // sl local_address rem_address st ... inode (field 9); st 0A is LISTEN
          if (fields.length > 9 && fields[1].endsWith(hexPort) && "0A".equals(fields[3])) {
            return fields[9];
          }
        }
      } catch (IOException | RuntimeException noTable) {
        // not Linux, or no IPv6
      }
    }
    return null;
  }
}
