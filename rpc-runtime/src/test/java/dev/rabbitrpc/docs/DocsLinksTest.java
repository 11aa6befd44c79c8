package dev.rabbitrpc.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The project's Markdown holds together: every relative link and {@code #anchor} in README.md,
 * CONTRIBUTING.md, CHANGELOG.md and {@code docs/**}{@code /*.md} resolves, and every Java code block in
 * README.md is an excerpt of a source file that the build compiles, and {@code .ci/run} runs the test
 * commands README.md states. Needs no broker; reads the files
 * from the repository root (the directory holding {@code .ci/run}).
 */
class DocsLinksTest {
  /**
   * README.md's Java code blocks, in order, and the source file each is an excerpt of. A block must
   * appear in its file line by line, in order, comments and whitespace aside (lines of the file may be
   * left out between them). Change the file with the block, and add an entry here for a new block.
   */
  static final List<String> README_JAVA_SOURCES = List.of(
      // 1. the contract of the quickstart
      "examples/src/main/java/dev/rabbitrpc/examples/fibonacci/FibonacciService.java",
      // 2. the server and the client of the quickstart
      "examples/src/main/java/dev/rabbitrpc/examples/fibonacci/Quickstart.java",
      // 3. and 4. streaming: the interface, and reading the stream
      "examples/src/main/java/dev/rabbitrpc/examples/streaming/Orders.java",
      "examples/src/main/java/dev/rabbitrpc/examples/streaming/StreamingExample.java",
      // 5. and 6. replayed replies: the interface, and the server with its store
      "examples/src/main/java/dev/rabbitrpc/examples/replay/Payments.java",
      "examples/src/main/java/dev/rabbitrpc/examples/replay/ReplayExample.java");

  private static final Pattern FENCE = Pattern.compile("^\\s{0,3}(```|~~~)(.*)$");
  private static final Pattern HEADING = Pattern.compile("^\\s{0,3}(#{1,6})\\s+(.*?)\\s*#*\\s*$");
  private static final Pattern INLINE_LINK = Pattern.compile("!?\\[((?:[^\\[\\]]|\\[[^\\]]*\\])*)\\]\\(\\s*<?([^)\\s>]*)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
  private static final Pattern REFERENCE_DEFINITION = Pattern.compile("^\\s{0,3}\\[[^\\]]+\\]:\\s*<?(\\S+?)>?(?:\\s+.*)?$");
  private static final Pattern CODE_SPAN = Pattern.compile("(`+)(.+?)\\1");
  private static final Pattern HTML_ANCHOR = Pattern.compile("<a\\s+(?:name|id)=\"([^\"]+)\"");
  private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");
  private static final Pattern LINE_ANCHOR = Pattern.compile("L\\d+(-L\\d+)?");

  private final Path root = repositoryRoot();
  private final Map<Path, Set<String>> anchorsByFile = new HashMap<>();

  @Test
  void everyRelativeLinkAndAnchorResolves() throws IOException {
    List<Path> files = markdownFiles();
    assertTrue(files.contains(root.resolve("README.md")), "README.md not found under " + root);
    List<String> problems = new ArrayList<>();
    int links = 0;
    for (Path file : files) {
      List<String> lines = outsideCodeBlocks(Files.readAllLines(file, StandardCharsets.UTF_8));
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (line == null) {
          continue;
        }
        String text = CODE_SPAN.matcher(line).replaceAll("");
        List<String> targets = new ArrayList<>();
        Matcher link = INLINE_LINK.matcher(text);
        while (link.find()) {
          targets.add(link.group(2));
        }
        Matcher definition = REFERENCE_DEFINITION.matcher(text);
        if (definition.matches()) {
          targets.add(definition.group(1));
        }
        for (String target : targets) {
          links++;
          String problem = check(file, target);
          if (problem != null) {
            problems.add(root.relativize(file) + ":" + (i + 1) + ": link (" + target + "): " + problem);
          }
        }
      }
    }
    if (!problems.isEmpty()) {
      fail(problems.size() + " broken link(s) in the project's Markdown:\n  " + String.join("\n  ", problems));
    }
    assertTrue(links > 50, "only " + links + " links found: is the Markdown parsed at all?");
  }

  @Test
  void everyJavaBlockOfTheReadmeIsAnExcerptOfACompiledSource() throws IOException {
    List<String[]> blocks = javaBlocks(root.resolve("README.md"));
    List<String> problems = new ArrayList<>();
    if (blocks.size() != README_JAVA_SOURCES.size()) {
      problems.add("README.md has " + blocks.size() + " Java code block(s) but DocsLinksTest.README_JAVA_SOURCES names "
          + README_JAVA_SOURCES.size() + " source file(s): name the example source each block is taken from");
    }
    for (int b = 0; b < Math.min(blocks.size(), README_JAVA_SOURCES.size()); b++) {
      String startLine = blocks.get(b)[0];
      String source = README_JAVA_SOURCES.get(b);
      Path sourceFile = root.resolve(source);
      if (!Files.isRegularFile(sourceFile)) {
        problems.add("README.md:" + startLine + ": Java block " + (b + 1) + ": its source " + source + " does not exist");
        continue;
      }
      List<String> snippet = codeLines(blocks.get(b)[1]);
      List<String> code = codeLines(Files.readString(sourceFile, StandardCharsets.UTF_8));
      int at = 0;
      for (String wanted : snippet) {
        while (at < code.size() && !code.get(at).equals(wanted)) {
          at++;
        }
        if (at == code.size()) {
          problems.add("README.md:" + startLine + ": Java block " + (b + 1) + " is not an excerpt of " + source
              + ": the line \"" + wanted + "\" is not there (or not in this order)");
          break;
        }
        at++;
      }
    }
    if (!problems.isEmpty()) {
      fail(String.join("\n", problems));
    }
  }

  /** CI runs the test commands README.md states, word for word (what follows an environment assignment). */
  @Test
  void theCiScriptRunsReadmesTestCommands() throws IOException {
    String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
    List<String> commands = new ArrayList<>();
    for (String line : Files.readAllLines(root.resolve(".ci").resolve("run"), StandardCharsets.UTF_8)) {
      String command = line.trim().replaceFirst("^([A-Za-z_][A-Za-z0-9_]*=\\S*\\s+)+", "");
      if (command.startsWith("mvn ") && !command.startsWith("mvn -v")) {
        commands.add(command);
      }
    }
    assertTrue(!commands.isEmpty(), ".ci/run runs no mvn command");
    for (String command : commands) {
      assertTrue(readme.contains(command), ".ci/run runs \"" + command + "\", which README.md does not state word for word");
    }
  }

  @Test
  void slugsFollowGitHubsRules() {
    assertEquals("get-it", slug("Get it"));
    assertEquals("how-do-i", slug("How do I…"));
    assertEquals("with-springs-rabbittemplate-in-the-same-run", slug("With Spring's `RabbitTemplate` in the same run"));
    assertEquals("adaptive-prefetch-2026-12-01-third-session", slug("Adaptive prefetch (2026-12-01, third session)"));
    assertEquals("7-deadlines-and-cancellation", slug("7. Deadlines and cancellation"));
    assertEquals("other-languages-the-tutorial-and-python", slug("Other languages: the tutorial and Python"));
    assertEquals("snake_case-and-kebab-case", slug("snake_case and kebab-case"));
    assertEquals("a--b", slug("a — b"));
  }

  /** Null if {@code target}, linked from {@code from}, resolves; else why not. */
  private String check(Path from, String target) throws IOException {
    if (target.isEmpty()) {
      return "empty link target";
    }
    if (SCHEME.matcher(target).find() || target.startsWith("//")) {
      return null; // absolute URL: not checked (no network in the build)
    }
    int hash = target.indexOf('#');
    String pathPart = hash < 0 ? target : target.substring(0, hash);
    String anchor = hash < 0 ? null : URLDecoder.decode(target.substring(hash + 1), StandardCharsets.UTF_8);
    Path resolved;
    if (pathPart.isEmpty()) {
      resolved = from;
    } else {
      if (pathPart.startsWith("/")) {
        return "absolute path: GitHub resolves it against the repository root, other viewers do not; use a relative path";
      }
      resolved = from.getParent().resolve(URLDecoder.decode(pathPart, StandardCharsets.UTF_8)).normalize();
      if (!resolved.startsWith(root)) {
        return "points outside the repository (" + resolved + ")";
      }
      if (!Files.exists(resolved)) {
        return "no such file: " + root.relativize(resolved);
      }
    }
    if (anchor == null) {
      return null;
    }
    if (anchor.isEmpty()) {
      return "empty #anchor";
    }
    if (!resolved.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".md")) {
      return LINE_ANCHOR.matcher(anchor).matches() ? null
          : "#" + anchor + " points into " + root.relativize(resolved) + ", which is not Markdown and has no headings";
    }
    Set<String> anchors = anchorsOf(resolved);
    if (!anchors.contains(anchor)) {
      return "no heading in " + root.relativize(resolved) + " has the anchor #" + anchor
          + " (GitHub's slugs: lowercase, spaces to '-', punctuation but '-' and '_' removed)";
    }
    return null;
  }

  /**
   * The file's lines with those of fenced code blocks (fences included) replaced by null, so that
   * line numbers stay those of the file and nothing in a code block counts as a link or heading.
   */
  private static List<String> outsideCodeBlocks(List<String> lines) {
    List<String> prose = new ArrayList<>(lines.size());
    String fence = null; // the open block's fence, or null outside blocks
    for (String line : lines) {
      Matcher f = FENCE.matcher(line);
      if (f.matches()) {
        if (fence == null) {
          fence = f.group(1);
        } else if (f.group(1).equals(fence) && f.group(2).isBlank()) {
          fence = null;
        }
        prose.add(null);
      } else {
        prose.add(fence == null ? line : null);
      }
    }
    return prose;
  }

  /** The anchors GitHub makes for a Markdown file's headings (duplicates numbered), and its HTML anchors. */
  private Set<String> anchorsOf(Path file) throws IOException {
    Set<String> cached = anchorsByFile.get(file);
    if (cached != null) {
      return cached;
    }
    Set<String> anchors = new LinkedHashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    for (String line : outsideCodeBlocks(Files.readAllLines(file, StandardCharsets.UTF_8))) {
      if (line == null) {
        continue;
      }
      Matcher h = HEADING.matcher(line);
      if (h.matches()) {
        String base = slug(h.group(2));
        int n = seen.merge(base, 1, Integer::sum) - 1;
        anchors.add(n == 0 ? base : base + "-" + n);
      }
      Matcher html = HTML_ANCHOR.matcher(line);
      while (html.find()) {
        anchors.add(html.group(1));
      }
    }
    anchorsByFile.put(file, anchors);
    return anchors;
  }

  /**
   * GitHub's anchor for a heading: its text as rendered (code spans and links reduced to their text,
   * emphasis markers dropped), lowercased, every character but letters, digits, spaces, '-' and '_'
   * removed, then each space turned into '-'.
   */
  static String slug(String heading) {
    String text = heading
        .replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1") // [text](url) -> text
        .replaceAll("`", "")
        .replaceAll("\\*", "")
        .replaceAll("(^|\\s)_+|_+(\\s|$)", "$1$2") // _emphasis_, keeping snake_case
        .toLowerCase(Locale.ROOT);
    StringBuilder slug = new StringBuilder();
    text.codePoints().forEach(c -> {
      if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
        slug.appendCodePoint(c);
      } else if (c == ' ') {
        slug.append('-');
      }
    });
    return slug.toString();
  }

  /** README's Java blocks: {start line, text}. */
  private static List<String[]> javaBlocks(Path file) throws IOException {
    List<String[]> blocks = new ArrayList<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      Matcher f = FENCE.matcher(lines.get(i));
      if (!f.matches()) {
        continue;
      }
      String fence = f.group(1);
      boolean java = f.group(2).trim().toLowerCase(Locale.ROOT).startsWith("java");
      StringBuilder body = new StringBuilder();
      int start = i + 1;
      for (i++; i < lines.size(); i++) {
        Matcher end = FENCE.matcher(lines.get(i));
        if (end.matches() && end.group(1).equals(fence) && end.group(2).isBlank()) {
          break;
        }
        body.append(lines.get(i)).append('\n');
      }
      if (java) {
        blocks.add(new String[] {String.valueOf(start), body.toString()});
      }
    }
    return blocks;
  }

  /** Java text without comments, one entry per non-blank line, whitespace collapsed. */
  static List<String> codeLines(String java) {
    StringBuilder out = new StringBuilder();
    int n = java.length();
    for (int i = 0; i < n; i++) {
      char c = java.charAt(i);
      if (c == '"' || c == '\'') { // a literal: copied as is, "//" inside it is no comment
        out.append(c);
        for (i++; i < n && java.charAt(i) != c && java.charAt(i) != '\n'; i++) {
          if (java.charAt(i) == '\\' && i + 1 < n) {
            out.append(java.charAt(i++));
          }
          out.append(java.charAt(i));
        }
        if (i < n) {
          out.append(java.charAt(i));
        }
      } else if (c == '/' && i + 1 < n && java.charAt(i + 1) == '/') {
        while (i < n && java.charAt(i) != '\n') {
          i++;
        }
        out.append('\n');
      } else if (c == '/' && i + 1 < n && java.charAt(i + 1) == '*') {
        int end = java.indexOf("*/", i + 2);
        String comment = java.substring(i, end < 0 ? n : end + 2);
        comment.chars().filter(ch -> ch == '\n').forEach(ch -> out.append('\n'));
        i = end < 0 ? n : end + 1;
      } else {
        out.append(c);
      }
    }
    List<String> lines = new ArrayList<>();
    for (String line : out.toString().split("\n")) {
      String collapsed = line.trim().replaceAll("\\s+", " ");
      if (!collapsed.isEmpty()) {
        lines.add(collapsed);
      }
    }
    return lines;
  }

  private List<Path> markdownFiles() throws IOException {
    List<Path> files = new ArrayList<>();
    for (String name : List.of("README.md", "CONTRIBUTING.md", "CHANGELOG.md")) {
      Path file = root.resolve(name);
      assertTrue(Files.isRegularFile(file), name + " is missing from " + root);
      files.add(file);
    }
    try (Stream<Path> docs = Files.walk(root.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    return files;
  }

  /** The directory holding {@code .ci/run}, from the working directory (a module's) upwards. */
  private static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve(".ci").resolve("run"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no .ci/run above " + Path.of("").toAbsolutePath() + ": not run inside the repository");
  }
}
