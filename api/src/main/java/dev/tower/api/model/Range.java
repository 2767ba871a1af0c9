package dev.tower.api.model;

/** An inclusive range of integers, as used by range resources such as {@code ports}. */
public record Range(long begin, long end) implements Comparable<Range> {
    public Range {
        if (end < begin) {
            throw new IllegalArgumentException("range end " + end + " is below its begin " + begin);
        }
    }

    public long size() {
        return end - begin + 1;
    }

    public boolean contains(long value) {
        return value >= begin && value <= end;
    }

    @Override
    public int compareTo(Range o) {
        return begin != o.begin ? Long.compare(begin, o.begin) : Long.compare(end, o.end);
    }

    @Override
    public String toString() {
        return begin == end ? Long.toString(begin) : begin + "-" + end;
    }
}
