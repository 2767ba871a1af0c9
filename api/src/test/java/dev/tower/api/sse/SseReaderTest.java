package dev.tower.api.sse;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class SseReaderTest {
    @Test
    void readsNamedEventsAndSkipsComments() throws Exception {
        String stream = ": hello\n\nevent: OFFERS\ndata: {\"a\":1}\n\ndata: x\ndata: y\n\n";
        try (SseReader r = new SseReader(new ByteArrayInputStream(stream.getBytes(StandardCharsets.UTF_8)))) {
            assertThat(r.next()).isEqualTo(new SseReader.Event("OFFERS", "{\"a\":1}"));
            assertThat(r.next()).isEqualTo(new SseReader.Event("message", "x\ny"));
            assertThat(r.next()).isNull();
        }
    }
}
