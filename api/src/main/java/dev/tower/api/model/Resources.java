package dev.tower.api.model;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An immutable bundle of resources: scalars ({@code cpus}, {@code mem} in MB, {@code disk} in MB, {@code gpus})
 * and ranges ({@code ports}).
 *
 * <p>JSON form: {@code {"cpus":4,"mem":8192,"ports":[{"begin":31000,"end":32000}]}}. Text form (flags):
 * {@code cpus:4;mem:8192;ports:[31000-32000,33000-33010]}.
 *
 * <p>Scalars are kept in thousandths, as Mesos does, so that repeated addition and subtraction never drifts.
 */
@JsonSerialize(using = Resources.Serializer.class)
@JsonDeserialize(using = Resources.Deserializer.class)
public final class Resources {
    public static final String CPUS = "cpus";
    public static final String MEM = "mem";
    public static final String DISK = "disk";
    public static final String GPUS = "gpus";
    public static final String PORTS = "ports";

    public static final Resources EMPTY = new Resources(Map.of(), Map.of());

    private final Map<String, Double> scalars;
    private final Map<String, List<Range>> ranges;

    private Resources(Map<String, Double> scalars, Map<String, List<Range>> ranges) {
        this.scalars = scalars;
        this.ranges = ranges;
    }

    public static Resources of(Map<String, Double> scalars, Map<String, List<Range>> ranges) {
        TreeMap<String, Double> s = new TreeMap<>();
        scalars.forEach((k, v) -> {
            double r = round(v);
            if (r != 0 || Double.isNaN(v)) {
                s.put(k, Double.isNaN(v) ? v : r);
            }
        });
        TreeMap<String, List<Range>> r = new TreeMap<>();
        ranges.forEach((k, v) -> {
            List<Range> n = normalize(v);
            if (!n.isEmpty()) {
                r.put(k, n);
            }
        });
        return new Resources(Collections.unmodifiableMap(s), Collections.unmodifiableMap(r));
    }

    public static Resources scalars(Map<String, Double> scalars) {
        return of(scalars, Map.of());
    }

    /** cpus and mem, the common case. */
    public static Resources cpusMem(double cpus, double memMb) {
        return of(Map.of(CPUS, cpus, MEM, memMb), Map.of());
    }

    public static Resources ranges(String name, List<Range> ranges) {
        return of(Map.of(), Map.of(name, ranges));
    }

    /**
     * Parses {@code name:value;name:[a-b,c-d]}. Throws {@link IllegalArgumentException} with a message naming the
     * offending resource.
     */
    public static Resources parse(String text) {
        Map<String, Double> s = new TreeMap<>();
        Map<String, List<Range>> r = new TreeMap<>();
        if (text == null || text.isBlank()) {
            return EMPTY;
        }
        for (String part : text.split(";")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int colon = p.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("resource '" + p + "' is not of the form name:value");
            }
            String name = p.substring(0, colon).trim();
            String value = p.substring(colon + 1).trim();
            if (value.startsWith("[")) {
                if (!value.endsWith("]")) {
                    throw new IllegalArgumentException("resource '" + name + "': range list must end with ']'");
                }
                List<Range> list = new ArrayList<>();
                for (String item : value.substring(1, value.length() - 1).split(",")) {
                    String it = item.trim();
                    if (it.isEmpty()) {
                        continue;
                    }
                    String[] ends = it.split("-");
                    try {
                        long b = Long.parseLong(ends[0].trim());
                        long e = ends.length > 1 ? Long.parseLong(ends[1].trim()) : b;
                        if (b < 0 || e < b || ends.length > 2) {
                            throw new IllegalArgumentException("resource '" + name + "': bad range '" + it + "'");
                        }
                        list.add(new Range(b, e));
                    } catch (NumberFormatException ex) {
                        throw new IllegalArgumentException("resource '" + name + "': bad range '" + it + "'");
                    }
                }
                r.put(name, list);
            } else {
                double v;
                try {
                    v = Double.parseDouble(value);
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("resource '" + name + "': '" + value + "' is not a number");
                }
                if (Double.isNaN(v) || Double.isInfinite(v) || v < 0) {
                    throw new IllegalArgumentException("resource '" + name + "' must be a finite number >= 0, got " + value);
                }
                s.put(name, v);
            }
        }
        return of(s, r);
    }

    public Map<String, Double> scalars() {
        return scalars;
    }

    public Map<String, List<Range>> rangesMap() {
        return ranges;
    }

    public double scalar(String name) {
        return scalars.getOrDefault(name, 0.0);
    }

    public double cpus() {
        return scalar(CPUS);
    }

    public double mem() {
        return scalar(MEM);
    }

    public List<Range> ranges(String name) {
        return ranges.getOrDefault(name, List.of());
    }

    public boolean isEmpty() {
        return scalars.isEmpty() && ranges.isEmpty();
    }

    /**
     * The first problem with these resources as input from a user, naming the field under {@code prefix}, or empty
     * when they are valid: every scalar finite and non-negative.
     */
    public Optional<String> validate(String prefix) {
        for (Map.Entry<String, Double> e : scalars.entrySet()) {
            double v = e.getValue();
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                return Optional.of(prefix + "." + e.getKey() + " must be a finite number");
            }
            if (v < 0) {
                return Optional.of(prefix + "." + e.getKey() + " must not be negative, got " + v);
            }
        }
        return Optional.empty();
    }

    public Resources plus(Resources o) {
        if (o.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return o;
        }
        TreeMap<String, Double> s = new TreeMap<>(scalars);
        o.scalars.forEach((k, v) -> s.merge(k, v, Double::sum));
        TreeMap<String, List<Range>> r = new TreeMap<>();
        ranges.forEach((k, v) -> r.put(k, new ArrayList<>(v)));
        o.ranges.forEach((k, v) -> r.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
        return of(s, r);
    }

    /** This minus {@code o}, never below zero. */
    public Resources minus(Resources o) {
        if (o.isEmpty()) {
            return this;
        }
        TreeMap<String, Double> s = new TreeMap<>(scalars);
        o.scalars.forEach((k, v) -> s.computeIfPresent(k, (x, cur) -> Math.max(0, cur - v)));
        TreeMap<String, List<Range>> r = new TreeMap<>();
        ranges.forEach((k, v) -> r.put(k, subtract(v, o.ranges(k))));
        return of(s, r);
    }

    /** Whether every resource of {@code o} is available in this. */
    public boolean contains(Resources o) {
        for (Map.Entry<String, Double> e : o.scalars.entrySet()) {
            if (round(scalar(e.getKey())) < round(e.getValue())) {
                return false;
            }
        }
        for (Map.Entry<String, List<Range>> e : o.ranges.entrySet()) {
            List<Range> mine = ranges(e.getKey());
            for (Range want : e.getValue()) {
                if (!covered(mine, want)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The first resource of {@code wanted} that this does not have enough of, for error messages. */
    public Optional<String> shortfall(Resources wanted) {
        for (Map.Entry<String, Double> e : wanted.scalars.entrySet()) {
            if (round(scalar(e.getKey())) < round(e.getValue())) {
                return Optional.of(e.getKey() + " " + fmt(e.getValue()) + " > " + fmt(scalar(e.getKey())));
            }
        }
        for (Map.Entry<String, List<Range>> e : wanted.ranges.entrySet()) {
            for (Range want : e.getValue()) {
                if (!covered(ranges(e.getKey()), want)) {
                    return Optional.of(e.getKey() + " " + want + " not in " + ranges(e.getKey()));
                }
            }
        }
        return Optional.empty();
    }

    private static boolean covered(List<Range> have, Range want) {
        for (Range h : have) {
            if (h.begin() <= want.begin() && want.end() <= h.end()) {
                return true;
            }
        }
        return false;
    }

    private static List<Range> subtract(List<Range> from, List<Range> minus) {
        List<Range> out = new ArrayList<>(from);
        for (Range m : minus) {
            List<Range> next = new ArrayList<>();
            for (Range f : out) {
                if (m.end() < f.begin() || m.begin() > f.end()) {
                    next.add(f);
                    continue;
                }
                if (f.begin() < m.begin()) {
                    next.add(new Range(f.begin(), m.begin() - 1));
                }
                if (m.end() < f.end()) {
                    next.add(new Range(m.end() + 1, f.end()));
                }
            }
            out = next;
        }
        return out;
    }

    private static List<Range> normalize(List<Range> in) {
        if (in.isEmpty()) {
            return List.of();
        }
        List<Range> sorted = new ArrayList<>(in);
        Collections.sort(sorted);
        List<Range> out = new ArrayList<>();
        Range cur = sorted.get(0);
        for (int i = 1; i < sorted.size(); i++) {
            Range n = sorted.get(i);
            if (n.begin() <= cur.end() + 1) {
                cur = new Range(cur.begin(), Math.max(cur.end(), n.end()));
            } else {
                out.add(cur);
                cur = n;
            }
        }
        out.add(cur);
        return List.copyOf(out);
    }

    static double round(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Resources r && scalars.equals(r.scalars) && ranges.equals(r.ranges);
    }

    @Override
    public int hashCode() {
        return scalars.hashCode() * 31 + ranges.hashCode();
    }

    /** The text form accepted by {@link #parse}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        scalars.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ";").append(k).append(':').append(fmt(v)));
        ranges.forEach((k, v) -> {
            sb.append(sb.isEmpty() ? "" : ";").append(k).append(":[");
            for (int i = 0; i < v.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(v.get(i).begin()).append('-').append(v.get(i).end());
            }
            sb.append(']');
        });
        return sb.toString();
    }

    static final class Serializer extends JsonSerializer<Resources> {
        @Override
        public void serialize(Resources r, JsonGenerator g, SerializerProvider p) throws IOException {
            g.writeStartObject();
            for (Map.Entry<String, Double> e : r.scalars.entrySet()) {
                double v = e.getValue();
                if (v == Math.rint(v) && Math.abs(v) < 1e15) {
                    g.writeNumberField(e.getKey(), (long) v);
                } else {
                    g.writeNumberField(e.getKey(), v);
                }
            }
            for (Map.Entry<String, List<Range>> e : r.ranges.entrySet()) {
                g.writeArrayFieldStart(e.getKey());
                for (Range range : e.getValue()) {
                    g.writeStartObject();
                    g.writeNumberField("begin", range.begin());
                    g.writeNumberField("end", range.end());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        }
    }

    static final class Deserializer extends JsonDeserializer<Resources> {
        @Override
        public Resources deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                return (Resources) ctx.handleUnexpectedToken(Resources.class, p);
            }
            Map<String, Double> s = new TreeMap<>();
            Map<String, List<Range>> r = new TreeMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                    s.put(name, p.getDoubleValue());
                } else if (t == JsonToken.START_ARRAY) {
                    List<Range> list = new ArrayList<>();
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        Map<?, ?> m = ctx.readValue(p, Map.class);
                        Object b = m.get("begin");
                        Object e = m.get("end");
                        if (!(b instanceof Number) || !(e instanceof Number)) {
                            throw ctx.weirdStringException(String.valueOf(m), Range.class,
                                    "resource '" + name + "': a range needs numeric 'begin' and 'end'");
                        }
                        long bl = ((Number) b).longValue();
                        long el = ((Number) e).longValue();
                        if (bl < 0 || el < bl) {
                            throw ctx.weirdStringException(String.valueOf(m), Range.class,
                                    "resource '" + name + "': range must have 0 <= begin <= end");
                        }
                        list.add(new Range(bl, el));
                    }
                    r.put(name, list);
                } else {
                    throw ctx.weirdStringException(p.getText(), Resources.class,
                            "resource '" + name + "' must be a number or a list of ranges");
                }
            }
            return of(s, r);
        }
    }
}
