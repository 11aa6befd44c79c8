package dev.rabbitrpc.cli;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A service with records, collections, enums, a void method and a declared exception, for the CLI's tests. */
interface Shapes {
  enum Color { RED, GREEN }

  record Point(int x, int y) {}

  record Label(String text, Optional<Color> color) {}

  Point move(Point point, int dx);

  List<Point> points(int n);

  Map<String, Point> index(List<Point> points);

  String paint(Label label, Color color);

  void reset();

  String find(String name) throws NotFound;

  /** Declared by {@link #find}. */
  final class NotFound extends Exception {
    private static final long serialVersionUID = 1L;

    public NotFound(String message) {
      super(message);
    }
  }

  /** The implementation the tests export. */
  final class Impl implements Shapes {
    @Override
    public Point move(Point point, int dx) {
      return new Point(point.x() + dx, point.y());
    }

    @Override
    public List<Point> points(int n) {
      return java.util.stream.IntStream.range(0, n).mapToObj(i -> new Point(i, i * i)).toList();
    }

    @Override
    public Map<String, Point> index(List<Point> points) {
      Map<String, Point> index = new java.util.TreeMap<>();
      points.forEach(point -> index.put(point.x() + "," + point.y(), point));
      return index;
    }

    @Override
    public String paint(Label label, Color color) {
      return label.text() + " in " + color;
    }

    @Override
    public void reset() {}

    @Override
    public String find(String name) throws NotFound {
      throw new NotFound("no shape named " + name);
    }
  }
}
