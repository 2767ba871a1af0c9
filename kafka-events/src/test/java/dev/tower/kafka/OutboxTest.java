package dev.tower.kafka;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class OutboxTest {
    @TempDir
    Path dir;
    private final List<Outbox> open = new ArrayList<>();

    @AfterEach
    void closeAll() {
        open.forEach(Outbox::close);
    }

    private Outbox open(Outbox.Options o) throws IOException {
        Outbox box = Outbox.open(o);
        open.add(box);
        return box;
    }

    private Outbox.Options small() {
        return Outbox.Options.defaults(dir).withSegmentBytes(4096).withMaxBytes(1 << 20).withFlushIntervalMillis(1);
    }

    private static byte[] record(int i) {
        return ("record-" + i + "-" + "x".repeat(i % 50)).getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Outbox.Entry e) {
        return new String(e.payload(), StandardCharsets.UTF_8);
    }

    /** Reads everything readable from {@code from} on. */
    private static List<Outbox.Entry> readAll(Outbox box, Outbox.Position from) throws InterruptedException {
        List<Outbox.Entry> out = new ArrayList<>();
        while (true) {
            List<Outbox.Entry> batch = box.read(from, 100, 200);
            if (batch.isEmpty()) {
                return out;
            }
            out.addAll(batch);
            from = batch.get(batch.size() - 1).next();
        }
    }

    private List<Path> segments() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
        }
    }

    @Test
    void recordsComeBackInOrderAcrossSegmentRolls() throws Exception {
        Outbox box = open(small());
        for (int i = 0; i < 500; i++) {
            assertThat(box.append(record(i))).isTrue();
        }
        assertThat(box.flush(5, TimeUnit.SECONDS)).isTrue();
        List<Outbox.Entry> all = readAll(box, box.ackPosition());
        assertThat(all).hasSize(500);
        for (int i = 0; i < 500; i++) {
            assertThat(text(all.get(i))).isEqualTo(new String(record(i), StandardCharsets.UTF_8));
        }
        assertThat(segments().size()).isGreaterThan(5);
        for (Path seg : segments()) {
            assertThat(Files.size(seg)).isLessThanOrEqualTo(4096);
        }
        assertThat(box.pending()).isEqualTo(500);
        assertThat(box.appended()).isEqualTo(500);
    }

    @Test
    void acknowledgedSegmentsAreDeletedAndARestartResumesAfterTheCheckpoint() throws Exception {
        Outbox box = open(small());
        for (int i = 0; i < 300; i++) {
            box.append(record(i));
        }
        box.flush(5, TimeUnit.SECONDS);
        List<Outbox.Entry> all = readAll(box, box.ackPosition());
        int segmentsBefore = segments().size();
        box.acknowledge(all.get(199).next(), 200);
        assertThat(box.pending()).isEqualTo(100);
        assertThat(box.delivered()).isEqualTo(200);
        assertThat(segments().size()).isLessThan(segmentsBefore);
        assertThat(box.ackPosition()).isEqualTo(all.get(200).position());
        box.close();
        open.remove(box);

        Outbox again = open(small());
        assertThat(again.pending()).isEqualTo(100);
        List<Outbox.Entry> rest = readAll(again, again.ackPosition());
        assertThat(rest).hasSize(100);
        assertThat(text(rest.get(0))).isEqualTo(new String(record(200), StandardCharsets.UTF_8));
        again.acknowledge(rest.get(99).next(), 100);
        assertThat(again.pending()).isZero();
        // Only the new, empty active segment remains.
        assertThat(segments()).hasSize(1);
    }

    @Test
    void aTornLastRecordIsTruncatedAndTheRestKept() throws Exception {
        Outbox box = open(small().withSegmentBytes(1 << 20));
        for (int i = 0; i < 20; i++) {
            box.append(record(i));
        }
        box.flush(5, TimeUnit.SECONDS);
        box.halt();
        open.remove(box);
        Path last = segments().get(segments().size() - 1);
        long good = Files.size(last);
        // Half a record, as a crash in the middle of a write leaves it: a length saying 500 bytes, then 30 bytes.
        ByteBuffer torn = ByteBuffer.allocate(38).putInt(500).putInt(0x1234).putLong(System.currentTimeMillis());
        Files.write(last, torn.array(), StandardOpenOption.APPEND);

        Outbox again = open(small());
        assertThat(again.pending()).isEqualTo(20);
        assertThat(again.truncatedBytes()).isEqualTo(38);
        assertThat(Files.size(last)).isEqualTo(good);
        assertThat(readAll(again, again.ackPosition())).hasSize(20);
        // New records go to a new segment and read after the recovered ones.
        again.append(record(99));
        again.flush(5, TimeUnit.SECONDS);
        List<Outbox.Entry> all = readAll(again, again.ackPosition());
        assertThat(all).hasSize(21);
        assertThat(text(all.get(20))).startsWith("record-99");
    }

    @Test
    void garbageAfterTheLastRecordIsCutOff() throws Exception {
        Outbox box = open(small().withSegmentBytes(1 << 20));
        for (int i = 0; i < 10; i++) {
            box.append(record(i));
        }
        box.close();
        open.remove(box);
        Path last = segments().get(segments().size() - 1);
        byte[] garbage = new byte[777];
        new java.util.Random(7).nextBytes(garbage);
        Files.write(last, garbage, StandardOpenOption.APPEND);

        Outbox again = open(small());
        assertThat(again.pending()).isEqualTo(10);
        assertThat(again.truncatedBytes()).isEqualTo(777);
        List<Outbox.Entry> all = readAll(again, again.ackPosition());
        assertThat(all).hasSize(10);
        assertThat(text(all.get(0))).isEqualTo("record-0-");
        assertThat(text(all.get(9))).startsWith("record-9-");
    }

    @Test
    void aLastRecordFailingItsCrcIsDropped() throws Exception {
        Outbox box = open(small().withSegmentBytes(1 << 20));
        for (int i = 0; i < 10; i++) {
            box.append(record(i));
        }
        box.close();
        open.remove(box);
        Path last = segments().get(segments().size() - 1);
        flipByte(last, Files.size(last) - 3);

        Outbox again = open(small());
        List<Outbox.Entry> all = readAll(again, again.ackPosition());
        assertThat(all).hasSize(9);
        assertThat(text(all.get(8))).startsWith("record-8");
        assertThat(again.pending()).isEqualTo(9);
    }

    @Test
    void corruptionInAnOlderSegmentCutsThatSegmentOnlyAndDoesNotBlockStartUp() throws Exception {
        Outbox box = open(small());
        for (int i = 0; i < 300; i++) {
            box.append(record(i));
        }
        box.close();
        open.remove(box);
        List<Path> segs = segments();
        assertThat(segs.size()).isGreaterThan(3);
        Path first = segs.get(0);
        // Corrupt the middle of the first segment: its records from there on are lost, later segments are kept.
        flipByte(first, Files.size(first) / 2);

        Outbox again = open(small());
        List<Outbox.Entry> all = readAll(again, again.ackPosition());
        assertThat(all.size()).isBetween(250, 299);
        assertThat(text(all.get(0))).startsWith("record-0-");
        assertThat(text(all.get(all.size() - 1))).startsWith("record-299");
        assertThat(again.pending()).isEqualTo(all.size());
        assertThat(again.truncatedBytes()).isPositive();
    }

    @Test
    void aSegmentWithABadHeaderIsSetAside() throws Exception {
        Outbox box = open(small());
        box.append(record(1));
        box.close();
        open.remove(box);
        Path bogus = dir.resolve(String.format("%020d.seg", 0));
        Files.writeString(bogus, "definitely not an outbox segment");
        Outbox again = open(small());
        assertThat(again.pending()).isEqualTo(1);
        assertThat(dir.resolve(bogus.getFileName() + ".corrupt")).exists();
    }

    @Test
    void whenFullNewRecordsAreDroppedCountedAndLoggedOncePerEpisode() throws Exception {
        Outbox box = open(Outbox.Options.defaults(dir).withSegmentBytes(2048).withMaxBytes(8192));
        int accepted = 0;
        for (int i = 0; i < 200; i++) {
            if (box.append(new byte[100])) {
                accepted++;
            }
        }
        assertThat(accepted).isBetween(50, 80);
        assertThat(box.dropped()).isEqualTo(200 - accepted);
        assertThat(box.dropEpisodes()).isEqualTo(1);
        assertThat(box.pendingBytes()).isLessThanOrEqualTo(8192);
        box.flush(5, TimeUnit.SECONDS);

        // Delivering everything frees the space; the next drop is a new episode.
        List<Outbox.Entry> all = readAll(box, box.ackPosition());
        assertThat(all).hasSize(accepted);
        box.acknowledge(all.get(all.size() - 1).next(), all.size());
        assertThat(box.append(new byte[100])).isTrue();
        for (int i = 0; i < 200; i++) {
            box.append(new byte[100]);
        }
        assertThat(box.dropEpisodes()).isEqualTo(2);
    }

    @Test
    void appendsAfterStopAcceptingAreDroppedButBufferedOnesAreWrittenAtClose() throws Exception {
        Outbox box = open(small().withFlushIntervalMillis(10_000));
        for (int i = 0; i < 5; i++) {
            box.append(record(i));
        }
        box.stopAccepting();
        assertThat(box.append(record(5))).isFalse();
        box.close();
        open.remove(box);
        Outbox again = open(small());
        assertThat(again.pending()).isEqualTo(5);
    }

    @Test
    void oldestPendingAgeFollowsTheOldestUnacknowledgedRecord() throws Exception {
        Outbox box = open(small());
        assertThat(box.oldestPendingAgeMillis()).isZero();
        box.append(record(1));
        await().atMost(java.time.Duration.ofSeconds(5)).until(() -> box.oldestPendingAgeMillis() >= 150);
        box.append(record(2));
        box.flush(5, TimeUnit.SECONDS);
        assertThat(box.oldestPendingAgeMillis()).isBetween(150L, 5000L);
        List<Outbox.Entry> all = box.read(box.ackPosition(), 10, 1000);
        assertThat(all).hasSize(2);
        box.acknowledge(all.get(0).next(), 1);
        assertThat(box.oldestPendingAgeMillis()).isLessThan(all.get(1).appendMillis() - all.get(0).appendMillis());
        box.acknowledge(all.get(1).next(), 1);
        assertThat(box.oldestPendingAgeMillis()).isZero();
    }

    @Test
    void aReaderWaitsForNewRecords() throws Exception {
        Outbox box = open(small());
        java.util.concurrent.CompletableFuture<List<Outbox.Entry>> got = new java.util.concurrent.CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                got.complete(box.read(box.ackPosition(), 10, 5000));
            } catch (Exception e) {
                got.completeExceptionally(e);
            }
        });
        reader.start();
        // Append only once the reader is blocked waiting, so that it is the append that wakes it.
        await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> reader.getState() == Thread.State.TIMED_WAITING || reader.getState() == Thread.State.WAITING);
        long start = System.nanoTime();
        box.append(record(42));
        assertThat(got.get(10, TimeUnit.SECONDS)).hasSize(1);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(4000);
        reader.join();
    }

    @Test
    void aHaltedOutboxKeepsWhatWasWritten() throws Exception {
        Outbox box = open(small());
        for (int i = 0; i < 50; i++) {
            box.append(record(i));
        }
        box.flush(5, TimeUnit.SECONDS);
        box.halt();
        open.remove(box);
        Outbox again = open(small());
        assertThat(again.pending()).isEqualTo(50);
        assertThat(readAll(again, again.ackPosition())).hasSize(50);
    }

    @Test
    void corruptionFoundWhileReadingIsReportedAsAGapAndReadingGoesOn() throws Exception {
        Outbox box = open(small().withSegmentBytes(1 << 20));
        for (int i = 0; i < 10; i++) {
            box.append(record(i));
        }
        box.flush(5, TimeUnit.SECONDS);
        List<Outbox.Entry> first = box.read(box.ackPosition(), 3, 1000);
        assertThat(first).hasSize(3);
        // The disk changes under a running outbox: record 3 of the active segment gets a flipped byte.
        Path seg = segments().get(segments().size() - 1);
        flipByte(seg, first.get(2).next().offset() + Outbox.RECORD_OVERHEAD + 2);
        List<Outbox.Entry> next = box.read(first.get(2).next(), 100, 1000);
        assertThat(next).hasSize(1);
        assertThat(next.get(0).payload()).isNull();
        box.append(record(10));
        box.flush(5, TimeUnit.SECONDS);
        List<Outbox.Entry> after = box.read(next.get(0).next(), 100, 1000);
        assertThat(after).extracting(OutboxTest::text).containsExactly("record-10-xxxxxxxxxx");
        assertThat(box.truncatedBytes()).isPositive();
    }

    private static void flipByte(Path file, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x5a));
            b.rewind();
            ch.write(b, at);
        }
    }
}
