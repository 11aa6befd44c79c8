package dev.rabbitrpc.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.text.NumberFormat;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.labels.CategoryItemLabelGenerator;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainCategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Renders a run's {@link RunSummary} as PNG charts (JFreeChart, headless: no display needed):
 *
 * <ul>
 *   <li>one chart per scenario and payload, named after both (e.g. {@code sequential-16-b.png}):
 *       each peer's p50 and p99 latency (µs; a log axis when they span more than a factor of 10) beside
 *       its calls/s, labelled with its ratio to raw;
 *   <li>{@code targets.png}: each target's measured value over its limit, green if met, red if missed,
 *       with the limit as a dashed line at 1; each label says what, the value, met or missed, and the
 *       target (a target not measured, or with a limit that is not positive, has no bar).
 * </ul>
 *
 * <p>Any peers and scenarios are drawn, in the order of the rows; the peers named in {@link #PREFERRED}
 * get the same colour in every run, any other peer the next colour of {@link #OTHERS}, in the order
 * the run first measured it. Stateless; safe to call from any thread.
 */
final class Charts {
  static {
    // Before any AWT class is used: rendering needs no display (CI and servers have none).
    System.setProperty("java.awt.headless", "true");
  }

  static final int WIDTH = 1000;
  static final int HEIGHT = 600;
  /** The chart of the targets. */
  static final String TARGETS_FILE = "targets.png";
  static final Color MET = new Color(0x2E7D32);
  static final Color MISSED = new Color(0xC62828);

  /** Colours of the peers the harness has today; a preference only, any peer can be drawn. */
  private static final Map<String, Color> PREFERRED = Map.ofEntries(
      Map.entry("raw", new Color(0x546E7A)),
      Map.entry("raw pipelined", new Color(0x546E7A)),
      Map.entry("raw -> rabbit-rpc server", new Color(0x8D6E63)),
      Map.entry("raw + rabbit-rpc properties", new Color(0x90A4AE)),
      Map.entry(EndToEndBenchmark.TUTORIAL, new Color(0x8E24AA)),
      Map.entry(EndToEndBenchmark.TUTORIAL_PIPELINED, new Color(0x8E24AA)),
      Map.entry(EndToEndBenchmark.TUTORIAL_PREFETCH_1, new Color(0x4A148C)),
      Map.entry("JsonRpcClient", new Color(0x1E88E5)),
      Map.entry("RabbitTemplate", new Color(0x43A047)),
      Map.entry("rabbit-rpc sync", new Color(0xF4511E)),
      Map.entry("rabbit-rpc async", new Color(0xF4511E)),
      Map.entry(EndToEndBenchmark.FAIR_RPC, new Color(0xF4511E)),
      Map.entry(EndToEndBenchmark.FAIR_RPC_2_WORKERS, new Color(0xBF360C)));
  private static final List<Color> OTHERS = List.of(new Color(0x00ACC1), new Color(0xF9A825), new Color(0xD81B60),
      new Color(0x3949AB), new Color(0x6D4C41), new Color(0x7CB342), new Color(0x26A69A));
  private static final Color NOT_MEASURED = new Color(0x9E9E9E);
  /** Latencies spanning more than this factor get a log axis. */
  private static final double LOG_SCALE_SPAN = 10;
  private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 18);
  private static final Font SUBTITLE = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
  private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
  private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
      .withZone(ZoneOffset.UTC);

  private Charts() {}

  /**
   * Writes the charts of {@code run} into {@code dir} (created if need be), replacing files of the
   * same names, and returns the files written: one per scenario and payload, in the order of the
   * rows, then {@link #TARGETS_FILE} if the run has targets.
   */
  static List<Path> render(RunSummary run, Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, Color> colours = peerColours(run.rows());
    Map<String, List<RunSummary.Row>> groups = new LinkedHashMap<>();
    for (RunSummary.Row row : run.rows()) {
      groups.computeIfAbsent(row.scenario() + "\u0000" + row.payload(), k -> new ArrayList<>()).add(row);
    }
    List<Path> files = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (List<RunSummary.Row> group : groups.values()) {
      RunSummary.Row first = group.get(0);
      String name = slug(first.scenario() + " " + first.payload());
      for (int n = 2; !names.add(name); n++) {
        name = slug(first.scenario() + " " + first.payload()) + "-" + n;
      }
      Path file = dir.resolve(name + ".png");
      ChartUtils.saveChartAsPNG(file.toFile(), scenarioChart(run, group, colours), WIDTH, HEIGHT);
      files.add(file);
    }
    if (!run.targets().isEmpty()) {
      Path file = dir.resolve(TARGETS_FILE);
      ChartUtils.saveChartAsPNG(file.toFile(), targetsChart(run), WIDTH, HEIGHT);
      files.add(file);
    }
    return files;
  }

  /** A file name of lower-case letters, digits and dashes: {@code 32 threads 16 B} is {@code 32-threads-16-b}. */
  static String slug(String text) {
    String slug = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
    return slug.isEmpty() ? "chart" : slug;
  }

  /** Whether latencies from {@code min} to {@code max} (µs) are drawn on a log axis. */
  static boolean logScale(double min, double max) {
    return min > 0 && max / min > LOG_SCALE_SPAN;
  }

  // ---------------------------------------------------------------- one scenario and payload

  private static JFreeChart scenarioChart(RunSummary run, List<RunSummary.Row> rows, Map<String, Color> colours) {
    DefaultCategoryDataset latency = new DefaultCategoryDataset();
    DefaultCategoryDataset throughput = new DefaultCategoryDataset();
    Map<String, RunSummary.Row> byCategory = new LinkedHashMap<>();
    double min = Double.POSITIVE_INFINITY;
    double max = 0;
    for (RunSummary.Row row : rows) {
      boolean none = positiveOrNull(row.p50Micros()) == null && positiveOrNull(row.p99Micros()) == null
          && finiteOrNull(row.callsPerSecond()) == null;
      String category = unique(byCategory.keySet(), row.peer() + (none ? " (not measured)" : ""));
      byCategory.put(category, row);
      latency.addValue(positiveOrNull(row.p50Micros()), "p50", category);
      latency.addValue(positiveOrNull(row.p99Micros()), "p99", category);
      throughput.addValue(finiteOrNull(row.callsPerSecond()), "calls/s", category);
      for (double value : new double[] {row.p50Micros(), row.p99Micros()}) {
        if (positiveOrNull(value) != null) {
          min = Math.min(min, value);
          max = Math.max(max, value);
        }
      }
    }
    Color[] peerColours = byCategory.values().stream().map(row -> colours.get(row.peer())).toArray(Color[]::new);

    ValueAxis latencyAxis;
    if (logScale(min, max)) {
      LogAxis axis = new LogAxis("latency, µs (log scale): p50 solid, p99 light");
      axis.setBase(10);
      axis.setNumberFormatOverride(format("#,##0.###"));
      // Ticks at whole decades; from the decade below the least value, with room at the top for the labels.
      axis.setTickUnit(new NumberTickUnit(1));
      axis.setRange(Math.pow(10, Math.floor(Math.log10(min))), max * 3);
      latencyAxis = axis;
    } else {
      NumberAxis axis = new NumberAxis("latency, µs: p50 solid, p99 light");
      axis.setUpperMargin(0.2);
      latencyAxis = axis;
    }
    BarRenderer latencyBars = new PeerBars(peerColours, true);
    latencyBars.setDefaultItemLabelGenerator(new Labels((row, column) -> {
      Number value = latency.getValue(row, column);
      return value == null ? "" : format(value.doubleValue() < 10 ? "0.0" : "#,##0").format(value);
    }));
    CategoryPlot latencyPlot = new CategoryPlot(latency, null, latencyAxis, latencyBars);

    NumberAxis callsAxis = new NumberAxis("calls/s (label: calls/s and ratio to raw)");
    callsAxis.setUpperMargin(0.45);
    callsAxis.setNumberFormatOverride(format("#,##0"));
    BarRenderer callsBars = new PeerBars(peerColours, false);
    callsBars.setDefaultItemLabelGenerator(new Labels((row, column) -> {
      RunSummary.Row measured = byCategory.get((String) throughput.getColumnKey(column));
      if (!Double.isFinite(measured.callsPerSecond())) {
        return "";
      }
      String calls = format("#,##0").format(measured.callsPerSecond());
      return Double.isFinite(measured.callsPerSecondRatio())
          ? calls + "  (" + format("0.00").format(measured.callsPerSecondRatio()) + "x)"
          : calls;
    }));
    CategoryPlot callsPlot = new CategoryPlot(throughput, null, callsAxis, callsBars);

    CategoryAxis peers = new CategoryAxis();
    peers.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    peers.setMaximumCategoryLabelWidthRatio(0.3f);
    peers.setMaximumCategoryLabelLines(2);
    peers.setCategoryMargin(0.25);
    CombinedDomainCategoryPlot plot = new CombinedDomainCategoryPlot(peers);
    plot.setOrientation(PlotOrientation.HORIZONTAL);
    plot.setGap(16);
    for (CategoryPlot subplot : List.of(latencyPlot, callsPlot)) {
      style(subplot);
    }
    plot.add(latencyPlot, 3);
    plot.add(callsPlot, 2);
    LegendItemCollection legend = new LegendItemCollection();
    legend.add(new LegendItem("p50", Color.DARK_GRAY));
    legend.add(new LegendItem("p99", tint(Color.DARK_GRAY)));
    plot.setFixedLegendItems(legend);

    RunSummary.Row first = rows.get(0);
    JFreeChart chart = new JFreeChart(first.scenario() + ", " + first.payload() + ": latency and calls/s per peer",
        TITLE, plot, true);
    chart.addSubtitle(new TextTitle(subtitle(run), SUBTITLE));
    chart.setBackgroundPaint(Color.WHITE);
    chart.setPadding(new RectangleInsets(6, 8, 6, 28)); // room for the last tick label
    return chart;
  }

  // ---------------------------------------------------------------- targets

  private static JFreeChart targetsChart(RunSummary run) {
    DefaultCategoryDataset dataset = new DefaultCategoryDataset();
    List<RunSummary.Target> targets = run.targets();
    Color[] colours = new Color[targets.size()];
    double low = 0;
    double high = 1;
    boolean anyUnmeasured = false;
    Set<String> categories = new HashSet<>();
    for (int i = 0; i < targets.size(); i++) {
      RunSummary.Target target = targets.get(i);
      boolean charted = target.measured() && target.limit() > 0 && Double.isFinite(target.value());
      // Everything in the label (bar labels would cross the limit line): what, value, target, outcome.
      String outcome = !target.measured() ? "not measured"
          : (number(target.value()) + target.unit() + ", " + (target.met() ? "met" : "MISSED"));
      String category = unique(categories, target.what() + ": " + outcome + " (target "
          + (target.relation().equals("<=") ? "≤ " : "≥ ") + number(target.limit()) + target.unit()
          + (target.measured() && !charted ? "; no bar)" : ")"));
      categories.add(category);
      anyUnmeasured |= !target.measured();
      double ratio = charted ? target.value() / target.limit() : Double.NaN;
      dataset.addValue(charted ? ratio : null, "measured / limit", category);
      colours[i] = !target.measured() ? NOT_MEASURED : target.met() ? MET : MISSED;
      if (charted) {
        low = Math.min(low, ratio);
        high = Math.max(high, ratio);
      }
    }
    BarRenderer bars = new PeerBars(colours, false);
    bars.setDefaultItemLabelsVisible(false);
    NumberAxis axis = new NumberAxis("measured value / target limit (dashed line: the limit)");
    double span = high - low;
    axis.setRange(low < 0 ? low - 0.1 * span : 0, high + 0.1 * span);
    CategoryAxis categoryAxis = new CategoryAxis();
    categoryAxis.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    categoryAxis.setMaximumCategoryLabelWidthRatio(0.5f);
    categoryAxis.setMaximumCategoryLabelLines(2);
    categoryAxis.setCategoryMargin(0.3);
    CategoryPlot plot = new CategoryPlot(dataset, categoryAxis, axis, bars);
    plot.setOrientation(PlotOrientation.HORIZONTAL);
    style(plot);
    ValueMarker limit = new ValueMarker(1.0, Color.BLACK,
        new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
    limit.setLabel("limit");
    limit.setLabelFont(LABEL);
    limit.setLabelAnchor(RectangleAnchor.BOTTOM_RIGHT);
    limit.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
    plot.addRangeMarker(limit, Layer.BACKGROUND); // under the bars and their labels
    // Only the outcomes there are: a run that meets every target has no red at all.
    long met = targets.stream().filter(RunSummary.Target::met).count();
    long missed = targets.stream().filter(target -> target.measured() && !target.met()).count();
    LegendItemCollection legend = new LegendItemCollection();
    if (met > 0) {
      legend.add(new LegendItem("met", MET));
    }
    if (missed > 0) {
      legend.add(new LegendItem("missed", MISSED));
    }
    if (anyUnmeasured) {
      legend.add(new LegendItem("not measured", NOT_MEASURED));
    }
    plot.setFixedLegendItems(legend);

    JFreeChart chart = new JFreeChart("Targets: " + met + " of " + targets.size() + " met", TITLE, plot, true);
    chart.addSubtitle(new TextTitle(subtitle(run), SUBTITLE));
    chart.setBackgroundPaint(Color.WHITE);
    chart.setPadding(new RectangleInsets(6, 8, 6, 28)); // room for the last tick label
    return chart;
  }

  // ---------------------------------------------------------------- shared

  private static String subtitle(RunSummary run) {
    return "rabbit-rpc end-to-end benchmark, " + run.mode() + " run, " + DATE.format(run.date()) + ", "
        + run.cores() + (run.cores() == 1 ? " core, " : " cores, ") + run.broker();
  }

  private static void style(CategoryPlot plot) {
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(new Color(0xDDDDDD));
    plot.setRangeGridlinesVisible(true);
    plot.setOutlineVisible(false);
    plot.setRangeAxisLocation(AxisLocation.BOTTOM_OR_LEFT);
    plot.getRangeAxis().setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    plot.getRangeAxis().setTickLabelFont(LABEL);
  }

  /** Each known peer its preferred colour, each other peer the next free one, in the order of the rows. */
  private static Map<String, Color> peerColours(List<RunSummary.Row> rows) {
    Map<String, Color> colours = new LinkedHashMap<>();
    int next = 0;
    for (RunSummary.Row row : rows) {
      if (!colours.containsKey(row.peer())) {
        Color preferred = PREFERRED.get(row.peer());
        colours.put(row.peer(), preferred != null ? preferred : OTHERS.get(next++ % OTHERS.size()));
      }
    }
    return colours;
  }

  /** {@code name}, or {@code name #2}, {@code #3}… if {@code taken} has it: categories must be distinct. */
  private static String unique(Set<String> taken, String name) {
    String unique = name;
    for (int n = 2; taken.contains(unique); n++) {
      unique = name + " #" + n;
    }
    return unique;
  }

  /** Half-way to white. */
  private static Color tint(Color colour) {
    return new Color((colour.getRed() + 255) / 2, (colour.getGreen() + 255) / 2, (colour.getBlue() + 255) / 2);
  }

  private static Double positiveOrNull(double value) {
    return Double.isFinite(value) && value > 0 ? value : null;
  }

  private static Double finiteOrNull(double value) {
    return Double.isFinite(value) ? value : null;
  }

  private static String number(double value) {
    return format(Math.abs(value) >= 100 ? "#,##0" : "0.##").format(value);
  }

  private static NumberFormat format(String pattern) {
    return new DecimalFormat(pattern, DecimalFormatSymbols.getInstance(Locale.ROOT));
  }

  /**
   * Bars coloured by column (one colour per peer, or per target); with {@code tintSecondSeries}, the
   * second series (p99) in a lighter shade of its column's colour. Labels at the end of each bar.
   */
  private static final class PeerBars extends BarRenderer {
    private static final long serialVersionUID = 1L;
    private final Color[] columnColours;
    private final boolean tintSecondSeries;

    PeerBars(Color[] columnColours, boolean tintSecondSeries) {
      this.columnColours = columnColours.clone();
      this.tintSecondSeries = tintSecondSeries;
      setBarPainter(new StandardBarPainter());
      setShadowVisible(false);
      setDrawBarOutline(false);
      setItemMargin(0.05);
      setMaximumBarWidth(0.06);
      setDefaultItemLabelsVisible(true);
      setDefaultItemLabelFont(LABEL);
      setDefaultItemLabelPaint(Color.BLACK);
      setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT));
      setDefaultNegativeItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE9, TextAnchor.CENTER_RIGHT));
    }

    @Override
    public Paint getItemPaint(int row, int column) {
      Color colour = column < columnColours.length ? columnColours[column] : NOT_MEASURED;
      return tintSecondSeries && row == 1 ? tint(colour) : colour;
    }
  }

  /** The label of one bar. */
  private interface Label {
    String of(int row, int column);
  }

  /** Item labels from a {@link Label}; row and column labels are the dataset's keys. */
  private static final class Labels implements CategoryItemLabelGenerator {
    private final Label label;

    Labels(Label label) {
      this.label = label;
    }

    @Override
    public String generateRowLabel(CategoryDataset dataset, int row) {
      return dataset.getRowKey(row).toString();
    }

    @Override
    public String generateColumnLabel(CategoryDataset dataset, int column) {
      return dataset.getColumnKey(column).toString();
    }

    @Override
    public String generateLabel(CategoryDataset dataset, int row, int column) {
      return label.of(row, column);
    }
  }
}
