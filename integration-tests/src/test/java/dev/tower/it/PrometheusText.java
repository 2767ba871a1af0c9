package dev.tower.it;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), for checking what {@code /metrics} serves: it
 * rejects, with the line number and the reason, anything a Prometheus server would reject or that the format says
 * must not happen —
 * <ul>
 *   <li>metric and label names outside their grammar, label names starting with {@code __}, a label twice in a sample;
 *   <li>label values with an unknown escape or an unterminated quote; HELP text with an escape other than
 *       {@code \\} and {@code \n};
 *   <li>values that are not floats ({@code NaN}, {@code +Inf}, {@code -Inf} are), timestamps that are not integers;
 *   <li>HELP or TYPE twice for a metric, or after its samples; an unknown TYPE; a metric's samples not in one group;
 *   <li>a series (name and labels) twice;
 *   <li>counter samples not ending in {@code _total};
 *   <li>histograms without {@code le} on their buckets, buckets that decrease with {@code le}, no {@code le="+Inf"}
 *       bucket or one other than {@code _count}, or a missing {@code _count} or {@code _sum};
 *   <li>carriage returns, and text not ending with a line feed.
 * </ul>
 */
public final class PrometheusText {
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern FLOAT = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern TIMESTAMP = Pattern.compile("-?\\d+");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One sample: a series and its value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    /** The samples of one metric, with its TYPE ({@code untyped} if none was given) and HELP. */
    public record Family(String name, String type, String help, List<Sample> samples) {
    }

    /** Input that breaks the format; the message names the line. */
    public static final class FormatException extends IllegalArgumentException {
        FormatException(int line, String why) {
            super("line " + line + ": " + why);
        }

        /** A rule about a whole metric (a histogram's buckets, say), not one line. */
        FormatException(String why) {
            super(why);
        }
    }

    private final Map<String, Family> families;

    private PrometheusText(Map<String, Family> families) {
        this.families = families;
    }

    public Map<String, Family> families() {
        return families;
    }

    public Optional<Family> family(String name) {
        return Optional.ofNullable(families.get(name));
    }

    /** The value of the series {@code name} with exactly {@code labels} (name, value, name, value...). */
    public Optional<Double> value(String name, String... labels) {
        Map<String, String> want = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            want.put(labels[i], labels[i + 1]);
        }
        for (Family f : families.values()) {
            for (Sample s : f.samples()) {
                if (s.name().equals(name) && s.labels().equals(want)) {
                    return Optional.of(s.value());
                }
            }
        }
        return Optional.empty();
    }

    /** As {@link #value}, failing with the series' name when it is missing. */
    public double require(String name, String... labels) {
        return value(name, labels).orElseThrow(() -> new AssertionError("no series " + name
                + (labels.length == 0 ? "" : " " + List.of(labels)) + " among " + families.keySet()));
    }

    public static PrometheusText parse(String text) {
        return new Parser().parse(text);
    }

    private static final class Parser {
        private final Map<String, String> types = new HashMap<>();
        private final Map<String, String> helps = new HashMap<>();
        private final Map<String, List<Sample>> samples = new LinkedHashMap<>();
        private final Set<String> ended = new HashSet<>();
        private final Set<String> series = new HashSet<>();
        private String current;
        private int line;

        PrometheusText parse(String text) {
            if (text.indexOf('\r') >= 0) {
                throw new FormatException(1 + count(text.substring(0, text.indexOf('\r'))), "carriage return; lines "
                        + "end with a line feed alone");
            }
            if (!text.isEmpty() && !text.endsWith("\n")) {
                throw new FormatException(count(text) + 1, "the last line must end with a line feed");
            }
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length - 1; i++) {
                line = i + 1;
                String l = stripLeading(lines[i]);
                if (l.isEmpty()) {
                    continue;
                }
                if (l.startsWith("#")) {
                    comment(l);
                } else {
                    sample(l);
                }
            }
            Map<String, Family> out = new LinkedHashMap<>();
            for (Map.Entry<String, List<Sample>> e : samples.entrySet()) {
                String type = types.getOrDefault(e.getKey(), "untyped");
                Family f = new Family(e.getKey(), type, helps.get(e.getKey()), List.copyOf(e.getValue()));
                if (type.equals("histogram")) {
                    checkHistogram(f);
                }
                out.put(f.name(), f);
            }
            // A TYPE or HELP without samples is allowed (a metric with no series yet).
            return new PrometheusText(out);
        }

        private static int count(String s) {
            return (int) s.chars().filter(c -> c == '\n').count();
        }

        private void comment(String l) {
            String[] t = l.substring(1).stripLeading().split("[ \t]+", 3);
            if (t.length < 2 || !(t[0].equals("HELP") || t[0].equals("TYPE"))) {
                return; // any other comment
            }
            String name = t[1];
            if (!METRIC_NAME.matcher(name).matches()) {
                throw fail("invalid metric name '" + name + "' in " + t[0]);
            }
            if (samples.containsKey(name)) {
                throw fail(t[0] + " for " + name + " after its samples");
            }
            if (t[0].equals("TYPE")) {
                String type = t.length > 2 ? t[2].strip() : "";
                if (!TYPES.contains(type)) {
                    throw fail("unknown type '" + type + "' for " + name + "; one of " + TYPES);
                }
                if (types.putIfAbsent(name, type) != null) {
                    throw fail("second TYPE for " + name);
                }
            } else {
                if (helps.putIfAbsent(name, unescapeHelp(t.length > 2 ? t[2] : "")) != null) {
                    throw fail("second HELP for " + name);
                }
            }
        }

        private String unescapeHelp(String s) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char n = i + 1 < s.length() ? s.charAt(++i) : ' ';
                if (n == '\\') {
                    b.append('\\');
                } else if (n == 'n') {
                    b.append('\n');
                } else {
                    throw fail("invalid escape in HELP: only \\\\ and \\n are allowed");
                }
            }
            return b.toString();
        }

        private void sample(String l) {
            int i = 0;
            while (i < l.length() && " \t{".indexOf(l.charAt(i)) < 0) {
                i++;
            }
            String name = l.substring(0, i);
            if (!METRIC_NAME.matcher(name).matches()) {
                throw fail("invalid metric name '" + name + "'");
            }
            Map<String, String> labels = new TreeMap<>();
            i = skipBlanks(l, i);
            if (i < l.length() && l.charAt(i) == '{') {
                i = labels(l, i + 1, labels);
            }
            String[] rest = l.substring(i).strip().split("[ \t]+");
            if (rest.length == 0 || rest[0].isEmpty()) {
                throw fail("no value for " + name);
            }
            if (rest.length > 2) {
                throw fail("unexpected text after the timestamp: '" + rest[2] + "'");
            }
            double value = value(rest[0]);
            if (rest.length == 2 && !TIMESTAMP.matcher(rest[1]).matches()) {
                throw fail("invalid timestamp '" + rest[1] + "' (milliseconds, an integer)");
            }
            String family = familyOf(name);
            if (!family.equals(current)) {
                if (ended.contains(family)) {
                    throw fail("samples of " + family + " are not in one group");
                }
                if (current != null) {
                    ended.add(current);
                }
                current = family;
            }
            if (types.get(family) != null && types.get(family).equals("counter") && !name.endsWith("_total")) {
                throw fail("counter sample " + name + " does not end in _total");
            }
            if (!series.add(name + labels)) {
                throw fail("duplicate series " + name + labels);
            }
            samples.computeIfAbsent(family, k -> new ArrayList<>()).add(new Sample(name, Map.copyOf(labels), value));
        }

        /** The declared metric a sample belongs to: itself, or a histogram's or summary's (or a counter's) base. */
        private String familyOf(String name) {
            if (types.containsKey(name)) {
                return name;
            }
            for (String suffix : List.of("_bucket", "_sum", "_count", "_total")) {
                if (name.endsWith(suffix)) {
                    String base = name.substring(0, name.length() - suffix.length());
                    String type = types.get(base);
                    if (type != null && (suffix.equals("_total") ? type.equals("counter")
                            : type.equals("histogram") || (type.equals("summary") && !suffix.equals("_bucket")))) {
                        return base;
                    }
                }
            }
            return name;
        }

        private int labels(String l, int i, Map<String, String> labels) {
            while (true) {
                i = skipBlanks(l, i);
                if (i < l.length() && l.charAt(i) == '}') {
                    return i + 1;
                }
                int start = i;
                while (i < l.length() && (Character.isLetterOrDigit(l.charAt(i)) || l.charAt(i) == '_')) {
                    i++;
                }
                String label = l.substring(start, i);
                if (!LABEL_NAME.matcher(label).matches()) {
                    throw fail("invalid label name '" + label + "'");
                }
                if (label.startsWith("__")) {
                    throw fail("label name " + label + " is reserved (starts with __)");
                }
                i = skipBlanks(l, i);
                if (i >= l.length() || l.charAt(i) != '=') {
                    throw fail("expected = after label " + label);
                }
                i = skipBlanks(l, i + 1);
                if (i >= l.length() || l.charAt(i) != '"') {
                    throw fail("expected a quoted value for label " + label);
                }
                StringBuilder v = new StringBuilder();
                i++;
                while (true) {
                    if (i >= l.length()) {
                        throw fail("unterminated value of label " + label);
                    }
                    char c = l.charAt(i++);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        char n = i < l.length() ? l.charAt(i++) : ' ';
                        switch (n) {
                            case '\\' -> v.append('\\');
                            case '"' -> v.append('"');
                            case 'n' -> v.append('\n');
                            default -> throw fail("invalid escape \\" + n + " in the value of label " + label);
                        }
                    } else {
                        v.append(c);
                    }
                }
                if (labels.put(label, v.toString()) != null) {
                    throw fail("label " + label + " twice");
                }
                i = skipBlanks(l, i);
                if (i < l.length() && l.charAt(i) == ',') {
                    i++;
                } else if (i >= l.length() || l.charAt(i) != '}') {
                    throw fail("expected , or } after the value of label " + label);
                }
            }
        }

        private double value(String s) {
            switch (s) {
                case "NaN":
                    return Double.NaN;
                case "+Inf":
                    return Double.POSITIVE_INFINITY;
                case "-Inf":
                    return Double.NEGATIVE_INFINITY;
                default:
                    if (!FLOAT.matcher(s).matches()) {
                        throw fail("invalid value '" + s + "'");
                    }
                    return Double.parseDouble(s);
            }
        }

        private void checkHistogram(Family f) {
            Map<Map<String, String>, TreeMap<Double, Double>> buckets = new HashMap<>();
            Map<Map<String, String>, Double> counts = new HashMap<>();
            Set<Map<String, String>> sums = new HashSet<>();
            for (Sample s : f.samples()) {
                if (s.name().equals(f.name() + "_bucket")) {
                    String le = s.labels().get("le");
                    if (le == null) {
                        throw new FormatException(f.name() + "_bucket" + s.labels() + " has no le label");
                    }
                    Map<String, String> rest = new TreeMap<>(s.labels());
                    rest.remove("le");
                    double bound;
                    try {
                        bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                    } catch (NumberFormatException e) {
                        throw new FormatException(f.name() + " has a bucket with le=\"" + le + "\"");
                    }
                    buckets.computeIfAbsent(rest, k -> new TreeMap<>()).put(bound, s.value());
                } else if (s.name().equals(f.name() + "_count")) {
                    counts.put(s.labels(), s.value());
                } else if (s.name().equals(f.name() + "_sum")) {
                    sums.add(s.labels());
                } else {
                    throw new FormatException("histogram " + f.name() + " has a sample " + s.name()
                            + "; only _bucket, _sum and _count");
                }
            }
            for (Map.Entry<Map<String, String>, TreeMap<Double, Double>> e : buckets.entrySet()) {
                String what = "histogram " + f.name() + e.getKey();
                double previous = 0;
                for (Map.Entry<Double, Double> b : e.getValue().entrySet()) {
                    if (b.getValue() < previous) {
                        throw new FormatException(what + ": bucket le=" + b.getKey() + " holds " + b.getValue()
                                + ", less than the bucket before (" + previous + "); buckets are cumulative");
                    }
                    previous = b.getValue();
                }
                Double inf = e.getValue().get(Double.POSITIVE_INFINITY);
                if (inf == null) {
                    throw new FormatException(what + " has no le=\"+Inf\" bucket");
                }
                Double count = counts.get(e.getKey());
                if (count == null || !sums.contains(e.getKey())) {
                    throw new FormatException(what + " lacks _count or _sum");
                }
                if (!count.equals(inf)) {
                    throw new FormatException(what + ": the le=\"+Inf\" bucket (" + inf + ") differs from _count ("
                            + count + ")");
                }
            }
            if (!counts.keySet().equals(buckets.keySet())) {
                throw new FormatException("histogram " + f.name() + ": _count series without buckets");
            }
        }

        private static int skipBlanks(String l, int i) {
            while (i < l.length() && (l.charAt(i) == ' ' || l.charAt(i) == '\t')) {
                i++;
            }
            return i;
        }

        private static String stripLeading(String l) {
            return l.replaceFirst("^[ \t]+", "");
        }

        private FormatException fail(String why) {
            return new FormatException(line, why);
        }
    }
}
