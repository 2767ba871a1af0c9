package dev.tower.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The strict exposition-format parser the metrics tests rely on: what it accepts, and what it rejects and why. */
class PrometheusTextTest {
    private static final String GOOD = """
            # HELP http_requests_total The total number of HTTP requests.\\nSecond line, a backslash \\\\.
            # TYPE http_requests_total counter
            http_requests_total{method="post",code="200"} 1027 1395066363000
            http_requests_total{method="post",code="400"}    3 1395066363000

            # A free comment.
            msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
            # TYPE temperature gauge
            temperature{room="a",} -3.5
            temperature{room="b"} NaN
            temperature{room="c"} +Inf
            temperature{room="d"} -Inf
            # TYPE request_seconds histogram
            request_seconds_bucket{le="0.05"} 24054
            request_seconds_bucket{le="0.1"} 33444
            request_seconds_bucket{le="+Inf"} 144320
            request_seconds_sum 53423
            request_seconds_count 144320
            # TYPE rpc_seconds summary
            rpc_seconds{quantile="0.5"} 4773
            rpc_seconds_sum 1.7560473e+07
            rpc_seconds_count 2693
            """;

    @Test
    void readsTheSpecsExample() {
        PrometheusText t = PrometheusText.parse(GOOD);
        assertThat(t.require("http_requests_total", "method", "post", "code", "400")).isEqualTo(3);
        assertThat(t.family("http_requests_total").orElseThrow().help())
                .isEqualTo("The total number of HTTP requests.\nSecond line, a backslash \\.");
        assertThat(t.require("msdos_file_access_time_seconds", "path", "C:\\DIR\\FILE.TXT",
                "error", "Cannot find file:\n\"FILE.TXT\"")).isEqualTo(1.458255915e9);
        assertThat(t.require("temperature", "room", "a")).isEqualTo(-3.5);
        assertThat(t.require("temperature", "room", "b")).isNaN();
        assertThat(t.require("temperature", "room", "c")).isInfinite().isPositive();
        assertThat(t.require("temperature", "room", "d")).isInfinite().isNegative();
        assertThat(t.family("request_seconds").orElseThrow().type()).isEqualTo("histogram");
        assertThat(t.require("request_seconds_count")).isEqualTo(144320);
        assertThat(t.family("rpc_seconds").orElseThrow().samples()).hasSize(3);
        assertThat(t.family("msdos_file_access_time_seconds").orElseThrow().type()).isEqualTo("untyped");
    }

    @Test
    void aCounterMayBeDeclaredWithoutItsSuffix() {
        PrometheusText t = PrometheusText.parse("# TYPE jobs counter\njobs_total 4\n");
        assertThat(t.family("jobs").orElseThrow().samples()).hasSize(1);
        assertThat(t.require("jobs_total")).isEqualTo(4);
    }

    /** Each bad input and what the error must say. */
    static Stream<Arguments> badInput() {
        return Stream.of(
                Arguments.of("0bad_name 1", "invalid metric name '0bad_name'"),
                Arguments.of("a-b 1", "invalid metric name 'a-b'"),
                Arguments.of("x{0l=\"v\"} 1", "invalid label name '0l'"),
                Arguments.of("x{__name__=\"v\"} 1", "label name __name__ is reserved"),
                Arguments.of("x{l=\"v\",l=\"w\"} 1", "label l twice"),
                Arguments.of("x{l=\"a\\tb\"} 1", "invalid escape \\t"),
                Arguments.of("x{l=\"v} 1", "unterminated value of label l"),
                Arguments.of("x{l=v} 1", "expected a quoted value for label l"),
                Arguments.of("x{l=\"v\" m=\"w\"} 1", "expected , or } after the value of label l"),
                Arguments.of("x 1.2.3", "invalid value '1.2.3'"),
                Arguments.of("x Infinity", "invalid value 'Infinity'"),
                Arguments.of("x 1 12.5", "invalid timestamp '12.5'"),
                Arguments.of("x 1 2 3", "unexpected text after the timestamp"),
                Arguments.of("x", "no value for x"),
                Arguments.of("x 1\nx 2", "duplicate series x{}"),
                Arguments.of("x{a=\"1\"} 1\ny 2\nx{a=\"2\"} 3", "samples of x are not in one group"),
                Arguments.of("x 1\n# TYPE x gauge", "TYPE for x after its samples"),
                Arguments.of("# TYPE x gauge\n# TYPE x gauge\nx 1", "second TYPE for x"),
                Arguments.of("# HELP x a\n# HELP x b\nx 1", "second HELP for x"),
                Arguments.of("# HELP x bad \\t escape\nx 1", "invalid escape in HELP"),
                Arguments.of("# TYPE x timer\nx 1", "unknown type 'timer'"),
                Arguments.of("# TYPE x counter\nx 1", "counter sample x does not end in _total"),
                Arguments.of("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1", "less than the bucket before"),
                Arguments.of("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1", "has no le=\"+Inf\" bucket"),
                Arguments.of("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3", "differs from _count"),
                Arguments.of("# TYPE h histogram\nh_bucket{x=\"1\"} 2\nh_sum 1\nh_count 2", "has no le label"),
                Arguments.of("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 2", "lacks _count or _sum"),
                Arguments.of("# TYPE h histogram\nh 2", "only _bucket, _sum and _count")
        );
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badInput")
    void rejects(String input, String why) {
        assertThatThrownBy(() -> PrometheusText.parse(input + "\n"))
                .isInstanceOf(PrometheusText.FormatException.class)
                .hasMessageContaining(why);
    }

    @Test
    void rejectsCarriageReturnsAndAMissingFinalLineFeed() {
        assertThatThrownBy(() -> PrometheusText.parse("x 1\r\n")).hasMessageContaining("carriage return");
        assertThatThrownBy(() -> PrometheusText.parse("x 1")).hasMessageContaining("must end with a line feed");
    }

    @Test
    void namesTheLine() {
        assertThatThrownBy(() -> PrometheusText.parse("a 1\nb 2\nc{ 3\n")).hasMessageStartingWith("line 3: ");
    }
}
