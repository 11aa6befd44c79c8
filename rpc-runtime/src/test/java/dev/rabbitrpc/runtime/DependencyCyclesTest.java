package dev.rabbitrpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code rpc-runtime} free of type-reference cycles between its classes, but for those
 * docs/ARCHITECTURE.md lists with their reason ("Cycles between the runtime's classes"): the JDK's
 * {@code jdeps} reads the compiled classes (every type a class file names: fields, signatures,
 * calls, casts), nested classes count as their top-level class, and the strongly connected
 * components of that graph must be exactly the listed ones. A new cycle fails with one concrete
 * loop; a listed one that is gone fails too, so that the document stays true.
 */
class DependencyCyclesTest {
  private static final String PACKAGE = "dev.rabbitrpc.runtime.";
  private static final String SECTION = "## Cycles between the runtime's classes";
  /** {@code   dev.rabbitrpc.runtime.A$B   -> dev.rabbitrpc.runtime.C   classes} */
  private static final Pattern EDGE = Pattern.compile("^\\s*(\\S+)\\s+->\\s+(\\S+)\\s");

  @Test
  void onlyTheCyclesArchitectureMdListsRemain() throws Exception {
    Map<String, Set<String>> graph = classGraph();
    assertTrue(graph.size() > 30, "jdeps found the runtime's classes: " + graph.keySet());
    Set<Set<String>> actual = new HashSet<>();
    for (Set<String> component : stronglyConnected(graph)) {
      if (component.size() > 1) {
        actual.add(component);
      }
    }
    Set<Set<String>> listed = listedCycles();
    List<String> problems = new ArrayList<>();
    for (Set<String> cycle : actual) {
      if (!listed.contains(cycle)) {
        problems.add("a cycle docs/ARCHITECTURE.md does not list: " + cycle + "; for instance "
            + String.join(" -> ", oneLoop(graph, cycle)));
      }
    }
    for (Set<String> cycle : listed) {
      if (!actual.contains(cycle)) {
        problems.add("docs/ARCHITECTURE.md lists a cycle the classes no longer have: " + cycle);
      }
    }
    if (!problems.isEmpty()) {
      fail(String.join("\n", problems));
    }
  }

  @Test
  void findsALoopAndNoFalseOne() {
    Map<String, Set<String>> graph = new TreeMap<>();
    graph.put("A", new TreeSet<>(List.of("B")));
    graph.put("B", new TreeSet<>(List.of("C", "D")));
    graph.put("C", new TreeSet<>(List.of("A")));
    graph.put("D", new TreeSet<>());
    List<Set<String>> components = stronglyConnected(graph);
    assertTrue(components.contains(Set.of("A", "B", "C")), components.toString());
    assertTrue(components.contains(Set.of("D")), components.toString());
    assertEquals(List.of("A", "B", "C", "A"), oneLoop(graph, Set.of("A", "B", "C")));
  }

  /** Top-level class -> the runtime's top-level classes it names, from jdeps on the compiled classes. */
  private static Map<String, Set<String>> classGraph() throws URISyntaxException {
    Path classes = Path.of(RpcClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ToolProvider jdeps = ToolProvider.findFirst("jdeps")
        .orElseThrow(() -> new AssertionError("this JDK has no jdeps tool (module jdk.jdeps)"));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:class", "-filter:none",
        classes.toString());
    assertEquals(0, exit, "jdeps failed: " + err);
    Map<String, Set<String>> graph = new TreeMap<>();
    for (String line : out.toString().split("\n")) {
      Matcher edge = EDGE.matcher(line);
      if (!edge.find()) {
        continue;
      }
      String from = topLevel(edge.group(1));
      String to = topLevel(edge.group(2));
      if (from == null || to == null) {
        continue;
      }
      graph.computeIfAbsent(from, k -> new TreeSet<>());
      graph.computeIfAbsent(to, k -> new TreeSet<>());
      if (!from.equals(to)) {
        graph.get(from).add(to);
      }
    }
    return graph;
  }

  /** The simple name of a runtime class's top-level class; null for other packages (sub-packages too). */
  private static String topLevel(String className) {
    if (!className.startsWith(PACKAGE)) {
      return null;
    }
    String simple = className.substring(PACKAGE.length());
    if (simple.contains(".")) {
      return null;
    }
    int nested = simple.indexOf('$');
    return nested < 0 ? simple : simple.substring(0, nested);
  }

  /** The cycles ARCHITECTURE.md lists: each item of its section names the classes of one, in backticks, before a colon. */
  private static Set<Set<String>> listedCycles() throws IOException {
    Path doc = Path.of("..", "docs", "ARCHITECTURE.md");
    List<String> lines = Files.readAllLines(doc);
    int start = lines.indexOf(SECTION);
    assertTrue(start >= 0, doc + " has no section \"" + SECTION + "\"");
    Set<Set<String>> cycles = new HashSet<>();
    Pattern name = Pattern.compile("`([A-Za-z0-9_]+)`");
    for (int i = start + 1; i < lines.size() && !lines.get(i).startsWith("## "); i++) {
      String line = lines.get(i);
      if (!line.startsWith("- ") || !line.contains(":")) {
        continue;
      }
      Set<String> cycle = new TreeSet<>();
      Matcher names = name.matcher(line.substring(0, line.indexOf(':')));
      while (names.find()) {
        cycle.add(names.group(1));
      }
      if (cycle.size() > 1) {
        cycles.add(cycle);
      }
    }
    return cycles;
  }

  /** Tarjan's strongly connected components. */
  static List<Set<String>> stronglyConnected(Map<String, Set<String>> graph) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new HashSet<>();
    List<Set<String>> components = new ArrayList<>();
    for (String node : graph.keySet()) {
      if (!index.containsKey(node)) {
        connect(node, graph, index, low, stack, onStack, components);
      }
    }
    return components;
  }

  private static void connect(String node, Map<String, Set<String>> graph, Map<String, Integer> index,
      Map<String, Integer> low, Deque<String> stack, Set<String> onStack, List<Set<String>> components) {
    index.put(node, index.size());
    low.put(node, index.get(node));
    stack.push(node);
    onStack.add(node);
    for (String next : graph.getOrDefault(node, Set.of())) {
      if (!index.containsKey(next)) {
        connect(next, graph, index, low, stack, onStack, components);
        low.put(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.contains(next)) {
        low.put(node, Math.min(low.get(node), index.get(next)));
      }
    }
    if (low.get(node).equals(index.get(node))) {
      Set<String> component = new TreeSet<>();
      String member;
      do {
        member = stack.pop();
        onStack.remove(member);
        component.add(member);
      } while (!member.equals(node));
      components.add(component);
    }
  }

  /** A shortest loop through the first member of a cycle, staying inside it: what a reader can follow. */
  static List<String> oneLoop(Map<String, Set<String>> graph, Set<String> cycle) {
    String first = new TreeSet<>(cycle).first();
    Map<String, String> cameFrom = new HashMap<>();
    Deque<String> queue = new ArrayDeque<>(List.of(first));
    while (!queue.isEmpty()) {
      String node = queue.poll();
      for (String next : graph.getOrDefault(node, Set.of())) {
        if (!cycle.contains(next)) {
          continue;
        }
        if (next.equals(first)) {
          List<String> loop = new ArrayList<>();
          for (String back = node; !back.equals(first); back = cameFrom.get(back)) {
            loop.add(0, back);
          }
          loop.add(0, first);
          loop.add(first);
          return loop;
        }
        if (!cameFrom.containsKey(next) && !next.equals(first)) {
          cameFrom.put(next, node);
          queue.add(next);
        }
      }
    }
    return List.of(first);
  }
}
