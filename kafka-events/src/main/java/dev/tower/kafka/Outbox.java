package dev.tower.kafka;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A durable, append-only queue of opaque records in segment files, for events on their way to Kafka.
 *
 * <h2>Files</h2>
 * {@code DIR/NNNNNNNNNNNNNNNNNNNN.seg}, numbered in order. A segment starts with a 16-byte header ({@code TWROUTBX},
 * format version, reserved) followed by records, each {@code int32 length | int32 CRC32C | int64 appendMillis | payload},
 * where length counts {@code appendMillis} and the payload and the CRC covers the same bytes (big-endian). A new segment
 * is started when the current one passes {@link Options#segmentBytes()} and at every {@link #open}, so a recovered
 * segment is never written again. {@code DIR/acked} records how far delivery got (a checkpoint, rewritten at most every
 * {@value #CHECKPOINT_INTERVAL_MILLIS} ms and at close), so a restart resends little.
 *
 * <h2>Writing and durability</h2>
 * {@link #append} never touches the disk: it frames the record into an in-memory buffer and returns (well under a
 * microsecond plus a copy). A writer thread takes the buffer and writes it to the current segment, at most once per
 * {@link Options#flushIntervalMillis()} (all records buffered meanwhile go in one write); the records are then
 * readable. If {@link Options#fsync()} (the default), a syncer thread {@code fsync}s the segment after each write (group
 * fsync: writes made during one fsync are covered by the next), off the path to Kafka so a slow disk does not delay
 * delivery. Hence:
 * <ul>
 *   <li>a <b>process kill</b> (kill -9, OOM) loses only the records still in memory: those appended since the last
 *   write, about {@code flushIntervalMillis} (5 ms) of events; written records are in the OS's page cache;</li>
 *   <li>a <b>power loss</b> additionally loses written records not yet fsynced (the last fsync's duration, typically
 *   under a millisecond, more when the disk is busy) <em>unless Kafka already acknowledged them</em>: records may be
 *   sent before their fsync, which loses nothing, since an acknowledged record needs no outbox copy. With {@code fsync}
 *   off, a power loss may lose whatever the OS had not yet written back (typically up to 30 s).</li>
 * </ul>
 * {@link #flush} waits until records are durable (fsynced when configured).
 * A crash can leave a torn or corrupt last record; {@link #open} detects it (length or CRC), logs it once and truncates
 * the segment there; the records before it are kept. Corruption in the middle of a segment cuts that segment there too
 * (records after it cannot be framed again), with an error log. Start-up reads every retained segment once.
 *
 * <h2>Reading and deleting</h2>
 * One consumer {@linkplain #read reads} records in order from a {@link Position} and {@linkplain #acknowledge
 * acknowledges} a prefix once it has been delivered; a segment file is deleted only when every record in it is
 * acknowledged.
 *
 * <h2>Bound</h2>
 * The bytes of the records not yet acknowledged (in files and in memory) never exceed {@link Options#maxBytes()} (the
 * files may hold up to about one segment more: the delivered head of the oldest segment, which goes as a whole); the
 * in-memory buffer never exceeds {@link Options#maxBufferedBytes()} (the writer is stalled, e.g. a dead disk). An append
 * that would pass either is dropped: counted in {@link #dropped()} and logged loudly once per episode (an episode ends
 * at the next accepted append). Appends never wait.
 */
public final class Outbox implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Outbox.class);

    static final byte[] MAGIC = "TWROUTBX".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int HEADER_BYTES = 16;
    /** length + CRC + appendMillis. */
    static final int RECORD_OVERHEAD = 16;
    /** Sanity limit on one record; a larger length field means corruption. */
    static final int MAX_RECORD_BYTES = 16 << 20;
    static final long CHECKPOINT_INTERVAL_MILLIS = 200;
    private static final String SUFFIX = ".seg";
    private static final String CHECKPOINT = "acked";
    private static final int READ_CHUNK = 1 << 20;

    /**
     * @param dir where the segments live (created if absent)
     * @param maxBytes bound on retained segment files + buffered records; appends beyond it are dropped
     * @param segmentBytes a segment is closed and a new one started once it reaches this size
     * @param flushIntervalMillis group-commit interval: at most one write (+ fsync) per interval
     * @param fsync fsync the segments after each write (a syncer thread; {@link #flush} waits for it)
     * @param maxBufferedBytes bound on records appended but not yet written (only reached if the disk stalls)
     */
    public record Options(Path dir, long maxBytes, long segmentBytes, long flushIntervalMillis, boolean fsync,
                          long maxBufferedBytes) {
        public static final long DEFAULT_MAX_BYTES = 1L << 30;
        public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;

        public Options {
            if (dir == null) {
                throw new IllegalArgumentException("outbox dir is required");
            }
            if (segmentBytes < HEADER_BYTES + RECORD_OVERHEAD + 1 || maxBytes < segmentBytes) {
                throw new IllegalArgumentException("outbox: need maxBytes >= segmentBytes > " + (HEADER_BYTES + RECORD_OVERHEAD)
                        + " (got maxBytes=" + maxBytes + ", segmentBytes=" + segmentBytes + ")");
            }
            if (flushIntervalMillis < 0 || maxBufferedBytes < RECORD_OVERHEAD + 1) {
                throw new IllegalArgumentException("outbox: bad flushIntervalMillis or maxBufferedBytes");
            }
        }

        /** 1 GiB bound, 64 MiB segments, a write every 5 ms at most, fsync, at most 64 MiB buffered in memory. */
        public static Options defaults(Path dir) {
            return new Options(dir, DEFAULT_MAX_BYTES, DEFAULT_SEGMENT_BYTES, 5, true, 64L << 20);
        }

        public Options withMaxBytes(long v) {
            return new Options(dir, v, Math.min(segmentBytes, v), flushIntervalMillis, fsync, maxBufferedBytes);
        }

        public Options withSegmentBytes(long v) {
            return new Options(dir, maxBytes, v, flushIntervalMillis, fsync, maxBufferedBytes);
        }

        public Options withFlushIntervalMillis(long v) {
            return new Options(dir, maxBytes, segmentBytes, v, fsync, maxBufferedBytes);
        }

        public Options withFsync(boolean v) {
            return new Options(dir, maxBytes, segmentBytes, flushIntervalMillis, v, maxBufferedBytes);
        }

        public Options withMaxBufferedBytes(long v) {
            return new Options(dir, maxBytes, segmentBytes, flushIntervalMillis, fsync, v);
        }
    }

    /** A record boundary: segment number and byte offset in it. */
    public record Position(long segment, long offset) implements Comparable<Position> {
        @Override
        public int compareTo(Position o) {
            int c = Long.compare(segment, o.segment);
            return c != 0 ? c : Long.compare(offset, o.offset);
        }

        @Override
        public String toString() {
            return segment + ":" + offset;
        }
    }

    /**
     * A record as read: where it is, where the next one starts, when it was appended, and its bytes. A null payload
     * marks a gap: unreadable bytes (corruption found while reading) the reader must acknowledge and skip.
     */
    public record Entry(Position position, Position next, long appendMillis, byte[] payload) {
    }

    private static final class Segment {
        final long id;
        final Path path;
        /** Bytes readable by the reader (written, and fsynced if configured). */
        long size;
        /** No more records will be written to it. */
        boolean sealed;

        Segment(long id, Path path, long size, boolean sealed) {
            this.id = id;
            this.path = path;
            this.size = size;
            this.sealed = sealed;
        }
    }

    private final Options options;
    private final Object lock = new Object();
    private final Thread writer;
    private final Thread syncer;

    // --- guarded by lock
    private final TreeMap<Long, Segment> segments = new TreeMap<>();
    private byte[] buffer = new byte[64 << 10];
    private int bufferedBytes;
    private int bufferedRecords;
    private long oldestBufferedMillis;
    /** The writer's batch in progress (out of the buffer, not yet readable). */
    private long writingRecords;
    private long writingOldestMillis;
    /** Bytes of retained segment files, including what the writer is writing. */
    private long segmentBytesTotal;
    /** Bytes of the records not yet acknowledged (in files, being written or buffered): what the bound applies to. */
    private long pendingBytes;
    private Position ackPosition;
    private long unacked;
    private boolean accepting = true;
    private boolean closing;
    private boolean halted;
    private boolean closed;
    private boolean dropping;
    private long droppedThisEpisode;
    private long dropEpisodes;
    private boolean flushRequested;
    /** Records accepted by append; written (or given up); and durable (fsynced, or written when not fsyncing). */
    private long acceptedRecords;
    private long writtenRecords;
    private long committedRecords;
    private boolean syncerDone;
    private long lastCheckpointMillis;
    private Position checkpointed;

    // --- writer thread only
    private volatile FileChannel active;
    private Segment activeSegment;
    private long activeWritten;
    private byte[] spare = new byte[64 << 10];
    private boolean ioFailing;

    // --- reader thread only
    private FileChannel readChannel;
    private long readSegment = -1;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(READ_CHUNK);

    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong appended = new AtomicLong();
    private final AtomicLong truncatedBytes = new AtomicLong();
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong maxCommitNanos = new AtomicLong();
    private final AtomicLong maxFsyncNanos = new AtomicLong();

    private Outbox(Options options) {
        this.options = options;
        this.writer = new Thread(this::writerLoop, "tower-outbox-writer");
        this.writer.setDaemon(true);
        this.syncer = new Thread(this::syncerLoop, "tower-outbox-fsync");
        this.syncer.setDaemon(true);
    }

    /** Opens (creating if needed) the outbox in {@code options.dir()}, recovering from a crash; starts its writer. */
    public static Outbox open(Options options) throws IOException {
        Outbox o = new Outbox(options);
        o.recover();
        o.writer.start();
        if (options.fsync()) {
            o.syncer.start();
        }
        return o;
    }

    public Options options() {
        return options;
    }

    // ------------------------------------------------------------------------------------------------ appending

    /**
     * Queues a record; never blocks on I/O. Returns false if it was dropped (outbox full, writer stalled, or closed).
     */
    public boolean append(byte[] payload) {
        int size = RECORD_OVERHEAD + payload.length;
        if (payload.length > MAX_RECORD_BYTES - 8) {
            dropped.incrementAndGet();
            log.error("outbox: dropped a {}-byte record, larger than the {}-byte limit", payload.length, MAX_RECORD_BYTES);
            return false;
        }
        long now = System.currentTimeMillis();
        CRC32C crc = new CRC32C();
        byte[] time = new byte[8];
        putLong(time, 0, now);
        crc.update(time, 0, 8);
        crc.update(payload, 0, payload.length);
        int checksum = (int) crc.getValue();
        boolean wake;
        synchronized (lock) {
            if (!accepting) {
                dropped.incrementAndGet();
                return false;
            }
            if (pendingBytes + size > options.maxBytes()) {
                drop("full: " + pendingBytes + " of " + options.maxBytes()
                        + " bytes hold events Kafka has not acknowledged");
                return false;
            }
            if (bufferedBytes + (long) size > options.maxBufferedBytes()) {
                drop("stalled: " + bufferedBytes + " bytes wait in memory for the disk");
                return false;
            }
            if (dropping) {
                dropping = false;
                log.warn("outbox: accepting events again after dropping {} ({} dropped in total)", droppedThisEpisode,
                        dropped.get());
            }
            if (buffer.length - bufferedBytes < size) {
                buffer = Arrays.copyOf(buffer, (int) Math.min(Integer.MAX_VALUE - 8,
                        Math.max((long) buffer.length * 2, (long) bufferedBytes + size)));
            }
            byte[] b = buffer;
            int p = bufferedBytes;
            putInt(b, p, 8 + payload.length);
            putInt(b, p + 4, checksum);
            System.arraycopy(time, 0, b, p + 8, 8);
            System.arraycopy(payload, 0, b, p + RECORD_OVERHEAD, payload.length);
            wake = bufferedBytes == 0;
            if (wake) {
                oldestBufferedMillis = now;
                lock.notifyAll();
            }
            bufferedBytes += size;
            pendingBytes += size;
            bufferedRecords++;
            acceptedRecords++;
            unacked++;
        }
        appended.incrementAndGet();
        if (wake) {
            LockSupport.unpark(writer);
        }
        return true;
    }

    private void drop(String why) {
        dropped.incrementAndGet();
        if (!dropping) {
            dropping = true;
            droppedThisEpisode = 0;
            dropEpisodes++;
            log.error("OUTBOX {} -- DROPPING NEW EVENTS until it drains ({} in {})", why.toUpperCase(java.util.Locale.ROOT),
                    unacked, options.dir());
        }
        droppedThisEpisode++;
    }

    /**
     * Waits until every record appended so far is written (and fsynced if configured), or the timeout passes.
     * @return true if all were written
     */
    public boolean flush(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (lock) {
            long target = acceptedRecords;
            if (committedRecords >= target) {
                return true;
            }
            flushRequested = true;
            LockSupport.unpark(writer);
            lock.notifyAll();
            while (committedRecords < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed) {
                    return committedRecords >= target;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    private void writerLoop() {
        long lastCommit = 0;
        while (true) {
            byte[] batch;
            int bytes;
            int records;
            synchronized (lock) {
                while (bufferedRecords == 0 && !closing) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        // closing is signalled through the flag
                    }
                }
                if (bufferedRecords == 0 || halted) {
                    break;
                }
            }
            long wait = lastCommit + TimeUnit.MILLISECONDS.toNanos(options.flushIntervalMillis()) - System.nanoTime();
            if (wait > 0) {
                synchronized (lock) {
                    if (!closing && !flushRequested) {
                        try {
                            TimeUnit.NANOSECONDS.timedWait(lock, wait);
                        } catch (InterruptedException e) {
                            // as above
                        }
                    }
                }
            }
            synchronized (lock) {
                if (halted) {
                    return;
                }
                batch = buffer;
                bytes = bufferedBytes;
                records = bufferedRecords;
                writingRecords = records;
                writingOldestMillis = oldestBufferedMillis;
                segmentBytesTotal += bytes;
                buffer = spare.length >= (64 << 10) && spare.length <= (8 << 20) ? spare : new byte[64 << 10];
                bufferedBytes = 0;
                bufferedRecords = 0;
                flushRequested = false;
            }
            lastCommit = System.nanoTime();
            writeBatch(batch, bytes, records);
            commits.incrementAndGet();
            maxCommitNanos.accumulateAndGet(System.nanoTime() - lastCommit, Math::max);
            spare = batch;
        }
    }

    /** Writes the batch, retrying on I/O errors until it succeeds or the outbox is closing. */
    private void writeBatch(byte[] batch, int bytes, int records) {
        long backoff = 100;
        while (true) {
            long startSize = activeWritten;
            try {
                writeRecords(batch, bytes);
                if (ioFailing) {
                    ioFailing = false;
                    log.warn("outbox: writing to {} works again", options.dir());
                }
                synchronized (lock) {
                    activeSegment.size = activeWritten;
                    writingRecords = 0;
                    writtenRecords += records;
                    if (!options.fsync()) {
                        committedRecords = writtenRecords;
                    }
                    lock.notifyAll();
                }
                return;
            } catch (IOException | UncheckedIOException e) {
                if (!ioFailing) {
                    ioFailing = true;
                    log.error("OUTBOX CANNOT WRITE to {} ({}); {} events wait in memory, retrying", options.dir(), e,
                            records);
                }
                try {
                    if (active != null && activeWritten != startSize) {
                        active.truncate(activeSegment.size);
                        activeWritten = activeSegment.size;
                    }
                } catch (IOException ignored) {
                    // retried below
                }
                boolean giveUp;
                synchronized (lock) {
                    giveUp = closing;
                    if (giveUp) {
                        log.error("OUTBOX CLOSED WITHOUT WRITING {} events: {}", records, e.toString());
                        writingRecords = 0;
                        writtenRecords += records;
                        committedRecords += records;
                        unacked -= records;
                        pendingBytes -= bytes;
                        segmentBytesTotal -= bytes;
                        dropped.addAndGet(records);
                        lock.notifyAll();
                        return;
                    }
                    try {
                        lock.wait(backoff);
                    } catch (InterruptedException ie) {
                        // keep trying
                    }
                }
                backoff = Math.min(backoff * 2, 2000);
            }
        }
    }

    private void writeRecords(byte[] batch, int bytes) throws IOException {
        int chunkStart = 0;
        int pos = 0;
        while (pos < bytes) {
            int recordBytes = 8 + getInt(batch, pos);
            long inSegment = activeWritten + (pos - chunkStart);
            if (inSegment > HEADER_BYTES && inSegment + recordBytes > options.segmentBytes()) {
                writeFully(batch, chunkStart, pos - chunkStart);
                roll();
                chunkStart = pos;
            }
            pos += recordBytes;
        }
        writeFully(batch, chunkStart, pos - chunkStart);
    }

    /** Group fsync: after each write, fsyncs the active segment; records written before it are then durable. */
    private void syncerLoop() {
        boolean failing = false;
        while (true) {
            long target;
            FileChannel ch;
            synchronized (lock) {
                while (committedRecords >= writtenRecords && !syncerDone) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        // stopping is signalled through the flag
                    }
                }
                if (syncerDone) {
                    return;
                }
                // The writer sets `active` before it counts records written to it: records up to `target` are in `ch`
                // or in segments it fsynced when it rolled them.
                target = writtenRecords;
                ch = active;
            }
            try {
                long t0 = System.nanoTime();
                ch.force(false);
                maxFsyncNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
                failing = false;
            } catch (java.nio.channels.ClosedChannelException e) {
                // Rolled meanwhile: the writer fsynced it before closing it.
            } catch (IOException e) {
                if (!failing) {
                    failing = true;
                    log.error("OUTBOX CANNOT FSYNC {}: {}; retrying", options.dir(), e.toString());
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    // keep going
                }
                continue;
            }
            synchronized (lock) {
                committedRecords = Math.max(committedRecords, target);
                lock.notifyAll();
            }
        }
    }

    private void writeFully(byte[] b, int off, int len) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(b, off, len);
        while (bb.hasRemaining()) {
            activeWritten += active.write(bb, activeWritten);
        }
    }

    /** Seals the active segment and starts the next. */
    private void roll() throws IOException {
        if (options.fsync()) {
            active.force(false);
        }
        active.close();
        synchronized (lock) {
            activeSegment.size = activeWritten;
            activeSegment.sealed = true;
            lock.notifyAll();
        }
        startSegment(activeSegment.id + 1);
    }

    private void startSegment(long id) throws IOException {
        Path path = options.dir().resolve(String.format("%020d%s", id, SUFFIX));
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.put(MAGIC).putInt(VERSION).putInt(0).flip();
        while (header.hasRemaining()) {
            ch.write(header);
        }
        if (options.fsync()) {
            ch.force(true);
            fsyncDir();
        }
        Segment s = new Segment(id, path, HEADER_BYTES, false);
        synchronized (lock) {
            segments.put(id, s);
            segmentBytesTotal += HEADER_BYTES;
        }
        active = ch;
        activeSegment = s;
        activeWritten = HEADER_BYTES;
    }

    private void fsyncDir() {
        try (FileChannel d = FileChannel.open(options.dir(), StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Not every platform can fsync a directory; the files themselves are synced.
        }
    }

    // ------------------------------------------------------------------------------------------------ reading

    /** Where the oldest record not yet acknowledged starts (where a new reader begins). */
    public Position ackPosition() {
        synchronized (lock) {
            return ackPosition;
        }
    }

    /**
     * Reads up to {@code maxRecords} records in order starting at {@code from} (a record boundary, e.g. {@link
     * #ackPosition()} or an {@link Entry#next()}), waiting up to {@code waitMillis} for one to become readable.
     * One thread at a time. Returns an empty list on timeout or once closed.
     */
    public List<Entry> read(Position from, int maxRecords, long waitMillis) throws InterruptedException {
        Segment seg;
        long end;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        synchronized (lock) {
            while (true) {
                if (closed) {
                    return List.of();
                }
                seg = segments.get(from.segment());
                if (seg == null) {
                    Map.Entry<Long, Segment> next = segments.ceilingEntry(from.segment());
                    if (next == null) {
                        return List.of();
                    }
                    from = new Position(next.getKey(), HEADER_BYTES);
                    continue;
                }
                end = seg.size;
                if (from.offset() < end) {
                    break;
                }
                if (seg.sealed) {
                    Long next = segments.higherKey(seg.id);
                    if (next == null) {
                        return List.of();
                    }
                    from = new Position(next, HEADER_BYTES);
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return List.of();
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
        }
        try {
            return readFrom(seg, from.offset(), end, maxRecords);
        } catch (IOException e) {
            // Also an interrupt (ClosedByInterruptException closes the channel): reopen on the next read.
            closeReadChannel();
            log.error("outbox: cannot read segment {}: {}", seg.path, e.toString());
            return List.of();
        }
    }

    private List<Entry> readFrom(Segment seg, long offset, long end, int maxRecords) throws IOException {
        if (readSegment != seg.id) {
            closeReadChannel();
            readChannel = FileChannel.open(seg.path, StandardOpenOption.READ);
            readSegment = seg.id;
        }
        List<Entry> out = new ArrayList<>(Math.min(maxRecords, 1024));
        ByteBuffer buf = readBuffer;
        buf.clear();
        buf.limit((int) Math.min(buf.capacity(), end - offset));
        readFully(readChannel, buf, offset);
        buf.flip();
        long pos = offset;
        CRC32C crc = new CRC32C();
        while (out.size() < maxRecords && buf.remaining() >= RECORD_OVERHEAD) {
            int start = buf.position();
            int length = buf.getInt(start);
            int checksum = buf.getInt(start + 4);
            if (length < 8 || length > MAX_RECORD_BYTES || pos + 8 + length > end) {
                if (out.isEmpty()) {
                    out.add(corruptWhileReading(seg, pos, end));
                }
                break;
            }
            if (buf.remaining() < 8 + length) {
                if (out.isEmpty()) {
                    // One record larger than the buffer: read it on its own.
                    ByteBuffer big = ByteBuffer.allocate(8 + length);
                    readFully(readChannel, big, pos);
                    big.flip();
                    buf = big;
                    continue;
                }
                break;
            }
            crc.reset();
            crc.update(buf.array(), buf.arrayOffset() + start + 8, length);
            if ((int) crc.getValue() != checksum) {
                if (out.isEmpty()) {
                    out.add(corruptWhileReading(seg, pos, end));
                }
                break;
            }
            long appendMillis = buf.getLong(start + 8);
            byte[] payload = new byte[length - 8];
            System.arraycopy(buf.array(), buf.arrayOffset() + start + RECORD_OVERHEAD, payload, 0, payload.length);
            buf.position(start + 8 + length);
            Position here = new Position(seg.id, pos);
            pos += 8 + length;
            out.add(new Entry(here, new Position(seg.id, pos), appendMillis, payload));
        }
        return out;
    }

    /**
     * Corruption found after open (the disk changed under us): the records from {@code pos} to {@code end} cannot be
     * framed. Returns a gap entry (null payload) covering them, for the reader to acknowledge and go past; their number
     * is unknown, so {@link #pending()} over-counts by it until the next open.
     */
    private Entry corruptWhileReading(Segment seg, long pos, long end) {
        log.error("OUTBOX SEGMENT {} IS CORRUPT at byte {}: skipping {} bytes of events (lost)", seg.path, pos, end - pos);
        truncatedBytes.addAndGet(end - pos);
        return new Entry(new Position(seg.id, pos), new Position(seg.id, end), System.currentTimeMillis(), null);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position);
            if (n < 0) {
                throw new IOException("unexpected end of file at " + position);
            }
            position += n;
        }
    }

    private void closeReadChannel() {
        if (readChannel != null) {
            try {
                readChannel.close();
            } catch (IOException ignored) {
                // read-only
            }
            readChannel = null;
            readSegment = -1;
        }
    }

    /**
     * Marks every record before {@code upTo} delivered ({@code records} of them since the last call); deletes the
     * segments they filled and, at most every {@value #CHECKPOINT_INTERVAL_MILLIS} ms, checkpoints the position.
     */
    public void acknowledge(Position upTo, long records) {
        List<Segment> delete = new ArrayList<>();
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (records > 0) {
                delivered.addAndGet(records);
                unacked -= records;
            }
            if (upTo.compareTo(ackPosition) > 0) {
                for (Segment s : segments.subMap(ackPosition.segment(), true, upTo.segment(), true).values()) {
                    long from = s.id == ackPosition.segment() ? ackPosition.offset() : HEADER_BYTES;
                    long to = s.id == upTo.segment() ? upTo.offset() : s.size;
                    pendingBytes -= Math.max(0, to - from);
                }
                ackPosition = upTo;
            }
            while (!segments.isEmpty()) {
                Segment first = segments.firstEntry().getValue();
                boolean done = first.id < ackPosition.segment()
                        || (first.id == ackPosition.segment() && first.sealed && ackPosition.offset() >= first.size);
                if (!done) {
                    break;
                }
                segments.pollFirstEntry();
                segmentBytesTotal -= first.size;
                delete.add(first);
                if (first.id == ackPosition.segment()) {
                    Long next = segments.isEmpty() ? null : segments.firstKey();
                    ackPosition = new Position(next == null ? first.id + 1 : next, HEADER_BYTES);
                }
            }
        }
        for (Segment s : delete) {
            if (readSegment == s.id) {
                closeReadChannel();
            }
            try {
                Files.deleteIfExists(s.path);
            } catch (IOException e) {
                log.warn("outbox: cannot delete {}: {}", s.path, e.toString());
            }
        }
        maybeCheckpoint(false);
    }

    private void maybeCheckpoint(boolean force) {
        Position p;
        synchronized (lock) {
            long now = System.currentTimeMillis();
            if (!force && now - lastCheckpointMillis < CHECKPOINT_INTERVAL_MILLIS) {
                return;
            }
            if (ackPosition.equals(checkpointed)) {
                return;
            }
            lastCheckpointMillis = now;
            p = ackPosition;
            checkpointed = p;
        }
        Path tmp = options.dir().resolve(CHECKPOINT + ".tmp");
        try {
            Files.writeString(tmp, VERSION + " " + p.segment() + " " + p.offset() + "\n");
            try {
                Files.move(tmp, options.dir().resolve(CHECKPOINT), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, options.dir().resolve(CHECKPOINT), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            log.warn("outbox: cannot write the delivery checkpoint: {}", e.toString());
        }
    }

    // ------------------------------------------------------------------------------------------------ gauges

    /** Records appended (or recovered at open) and not yet acknowledged, including those still in memory. */
    public long pending() {
        synchronized (lock) {
            return unacked;
        }
    }

    /** Records accepted since open that are not in the segment files yet (still in memory, or being written). */
    public long unwritten() {
        synchronized (lock) {
            return acceptedRecords - writtenRecords;
        }
    }

    /** Records refused: outbox full, writer stalled, closed, or too large. */
    public long dropped() {
        return dropped.get();
    }

    /** How many times the outbox started dropping (each logged once). */
    public long dropEpisodes() {
        synchronized (lock) {
            return dropEpisodes;
        }
    }

    /** Records acknowledged since open. */
    public long delivered() {
        return delivered.get();
    }

    /** Records accepted by {@link #append} since open. */
    public long appended() {
        return appended.get();
    }

    /** Bytes cut off corrupt or torn segment tails (at open or later). */
    public long truncatedBytes() {
        return truncatedBytes.get();
    }

    /** Bytes of the records not yet acknowledged, on disk and in memory: what {@link Options#maxBytes()} bounds. */
    public long pendingBytes() {
        synchronized (lock) {
            return pendingBytes;
        }
    }

    /**
     * Bytes of the segment files plus records in memory: {@link #pendingBytes()}, plus the delivered head of the oldest
     * segment and segment headers (so at most about one segment more).
     */
    public long retainedBytes() {
        synchronized (lock) {
            return segmentBytesTotal + bufferedBytes;
        }
    }

    /** Writes (each of all the records buffered since the previous one) so far. */
    public long commits() {
        return commits.get();
    }

    /** The longest write so far, in microseconds. */
    public long maxCommitMicros() {
        return maxCommitNanos.get() / 1000;
    }

    /** The longest fsync so far, in microseconds. */
    public long maxFsyncMicros() {
        return maxFsyncNanos.get() / 1000;
    }

    /** Number of segment files retained. */
    public int segmentCount() {
        synchronized (lock) {
            return segments.size();
        }
    }

    /** Age of the oldest record not yet acknowledged (0 when none). */
    public long oldestPendingAgeMillis() {
        Path path = null;
        long offset = 0;
        long oldest;
        synchronized (lock) {
            if (unacked <= 0) {
                return 0;
            }
            oldest = writingRecords > 0 ? writingOldestMillis : bufferedRecords > 0 ? oldestBufferedMillis : Long.MAX_VALUE;
            for (Segment s : segments.tailMap(ackPosition.segment(), true).values()) {
                long start = s.id == ackPosition.segment() ? ackPosition.offset() : HEADER_BYTES;
                if (start < s.size) {
                    path = s.path;
                    offset = start;
                    break;
                }
            }
        }
        if (path != null) {
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                ByteBuffer b = ByteBuffer.allocate(8);
                readFully(ch, b, offset + 8);
                oldest = b.getLong(0);
            } catch (IOException e) {
                // deleted meanwhile (just acknowledged): fall back to what is in memory
            }
        }
        return oldest == Long.MAX_VALUE ? 0 : Math.max(0, System.currentTimeMillis() - oldest);
    }

    // ------------------------------------------------------------------------------------------------ lifecycle

    /** Refuses further appends (they count as dropped); what was appended is still written by {@link #close}. */
    public void stopAccepting() {
        synchronized (lock) {
            accepting = false;
        }
    }

    /** Writes what is buffered, checkpoints and closes the files. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            accepting = false;
            closing = true;
            lock.notifyAll();
        }
        LockSupport.unpark(writer);
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (options.fsync() && active != null) {
            try {
                active.force(false);
            } catch (IOException e) {
                log.warn("outbox: final fsync of {}: {}", activeSegment.path, e.toString());
            }
        }
        stopSyncer();
        maybeCheckpoint(true);
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            if (active != null) {
                active.close();
            }
        } catch (IOException e) {
            log.warn("outbox: closing {}: {}", activeSegment.path, e.toString());
        }
        closeReadChannel();
    }

    private void stopSyncer() {
        synchronized (lock) {
            committedRecords = Math.max(committedRecords, writtenRecords);
            syncerDone = true;
            lock.notifyAll();
        }
        try {
            if (syncer.isAlive()) {
                syncer.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Tests: stops as a killed process would. What is buffered in memory is lost, nothing more is written, no
     * checkpoint; the files stay as they are for the next {@link #open}.
     */
    void halt() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            accepting = false;
            closing = true;
            halted = true;
            lock.notifyAll();
        }
        LockSupport.unpark(writer);
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopSyncer();
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            if (active != null) {
                active.close();
            }
        } catch (IOException ignored) {
            // as a kill would
        }
        closeReadChannel();
    }

    // ------------------------------------------------------------------------------------------------ recovery

    private void recover() throws IOException {
        Path dir = options.dir();
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve(CHECKPOINT + ".tmp"));
        List<Long> ids = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(p -> {
                String name = p.getFileName().toString();
                if (name.endsWith(SUFFIX) && name.length() == 20 + SUFFIX.length()) {
                    try {
                        ids.add(Long.parseLong(name.substring(0, 20)));
                    } catch (NumberFormatException ignored) {
                        // not ours
                    }
                }
            });
        }
        ids.sort(null);
        Position checkpoint = readCheckpoint();
        // Never reuse a number: a checkpoint names the segment it is in.
        long nextId = Math.max(ids.isEmpty() ? 0 : ids.get(ids.size() - 1), checkpoint == null ? 0 : checkpoint.segment()) + 1;
        for (int i = 0; i < ids.size(); i++) {
            long id = ids.get(i);
            Path path = dir.resolve(String.format("%020d%s", id, SUFFIX));
            boolean last = i == ids.size() - 1;
            long ckptOffset = checkpoint != null && checkpoint.segment() == id ? checkpoint.offset() : -1;
            Scan scan = scan(path, last, ckptOffset);
            if (scan == null) {
                continue;
            }
            boolean acked = checkpoint != null && (id < checkpoint.segment()
                    || (id == checkpoint.segment() && scan.boundary && scan.recordsAfter == 0));
            if (acked || scan.records == 0) {
                Files.deleteIfExists(path);
                continue;
            }
            segments.put(id, new Segment(id, path, scan.size, true));
            segmentBytesTotal += scan.size;
            if (ackPosition == null) {
                if (id == checkpoint(checkpoint) && scan.boundary) {
                    ackPosition = checkpoint;
                    unacked += scan.recordsAfter;
                    pendingBytes += scan.size - checkpoint.offset();
                } else {
                    ackPosition = new Position(id, HEADER_BYTES);
                    unacked += scan.records;
                    pendingBytes += scan.size - HEADER_BYTES;
                }
            } else {
                unacked += scan.records;
                pendingBytes += scan.size - HEADER_BYTES;
            }
        }
        startSegment(nextId);
        if (ackPosition == null) {
            ackPosition = new Position(nextId, HEADER_BYTES);
        }
        checkpointed = checkpoint;
        if (unacked > 0) {
            log.info("outbox {}: {} events from before were not acknowledged by Kafka; they will be sent first", dir,
                    unacked);
        }
    }

    private static long checkpoint(Position p) {
        return p == null ? -1 : p.segment();
    }

    private Position readCheckpoint() {
        Path f = options.dir().resolve(CHECKPOINT);
        try {
            String[] parts = Files.readString(f).trim().split(" ");
            if (parts.length == 3 && Integer.parseInt(parts[0]) == VERSION) {
                return new Position(Long.parseLong(parts[1]), Long.parseLong(parts[2]));
            }
            log.warn("outbox: ignoring unreadable checkpoint {}", f);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            log.warn("outbox: ignoring unreadable checkpoint {}: {}", f, e.toString());
        }
        return null;
    }

    private record Scan(long size, long records, long recordsAfter, boolean boundary) {
    }

    /**
     * Validates a segment, truncating it at the first torn or corrupt record. {@code ckptOffset}, if not -1, is the
     * checkpoint in this segment: reports how many records start at or after it and whether it is a record boundary.
     * Returns null if the file is not a segment at all (renamed aside).
     */
    private Scan scan(Path path, boolean last, long ckptOffset) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long fileSize = ch.size();
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
            if (fileSize >= HEADER_BYTES) {
                readFully(ch, header, 0);
            }
            if (fileSize < HEADER_BYTES || !Arrays.equals(Arrays.copyOf(header.array(), 8), MAGIC)
                    || header.getInt(8) != VERSION) {
                if (fileSize < HEADER_BYTES || isZero(header.array())) {
                    // Created but never written (crash while starting a segment): nothing to lose.
                    log.warn("outbox: segment {} has no valid header ({} bytes); discarding it", path, fileSize);
                    truncatedBytes.addAndGet(fileSize);
                    return new Scan(HEADER_BYTES, 0, 0, false);
                }
                Path aside = path.resolveSibling(path.getFileName() + ".corrupt");
                log.error("outbox: {} is not an outbox segment (bad header); moved aside to {}", path, aside);
                Files.move(path, aside, StandardCopyOption.REPLACE_EXISTING);
                return null;
            }
            long pos = HEADER_BYTES;
            long records = 0;
            long after = 0;
            boolean boundary = ckptOffset == HEADER_BYTES;
            ByteBuffer buf = ByteBuffer.allocate(READ_CHUNK);
            buf.limit(0);
            long bufStart = pos;
            CRC32C crc = new CRC32C();
            String problem = null;
            while (pos < fileSize) {
                if (pos == ckptOffset) {
                    boundary = true;
                }
                if (fileSize - pos < RECORD_OVERHEAD) {
                    problem = "a torn record (" + (fileSize - pos) + " bytes, shorter than a record header)";
                    break;
                }
                int rel = (int) (pos - bufStart);
                if (buf.limit() - rel < RECORD_OVERHEAD) {
                    buf.clear();
                    buf.limit((int) Math.min(buf.capacity(), fileSize - pos));
                    readFully(ch, buf, pos);
                    buf.flip();
                    bufStart = pos;
                    rel = 0;
                }
                int length = buf.getInt(rel);
                int checksum = buf.getInt(rel + 4);
                if (length < 8 || length > MAX_RECORD_BYTES) {
                    problem = length == 0 ? "zeros (an unwritten tail)" : "a bad record length " + length;
                    break;
                }
                if (pos + 8 + length > fileSize) {
                    problem = "a torn record (" + (8 + length) + " bytes announced, " + (fileSize - pos) + " present)";
                    break;
                }
                if (buf.limit() - rel < 8 + length) {
                    ByteBuffer b = length + 8 > buf.capacity() ? ByteBuffer.allocate(length + 8) : buf;
                    b.clear();
                    b.limit((int) Math.min(b.capacity(), fileSize - pos));
                    readFully(ch, b, pos);
                    b.flip();
                    buf = b;
                    bufStart = pos;
                    rel = 0;
                }
                crc.reset();
                crc.update(buf.array(), rel + 8, length);
                if ((int) crc.getValue() != checksum) {
                    problem = "a record failing its CRC";
                    break;
                }
                records++;
                if (ckptOffset >= 0 && pos >= ckptOffset) {
                    after++;
                }
                pos += 8 + length;
            }
            if (pos == ckptOffset) {
                boundary = true;
            }
            if (problem != null) {
                long cut = fileSize - pos;
                truncatedBytes.addAndGet(cut);
                if (last) {
                    log.warn("outbox: {} ends in {} at byte {}; truncating {} bytes (expected after a crash; {} records"
                            + " before it are kept)", path.getFileName(), problem, pos, cut, records);
                } else {
                    log.error("outbox: {} has {} at byte {}, in the middle of the outbox; truncating {} bytes after it"
                            + " (those events are lost; {} records before it are kept)", path.getFileName(), problem, pos,
                            cut, records);
                }
                ch.truncate(pos);
                ch.force(true);
            }
            return new Scan(pos, records, after, boundary);
        }
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------------ bytes

    static void putInt(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 24);
        b[p + 1] = (byte) (v >>> 16);
        b[p + 2] = (byte) (v >>> 8);
        b[p + 3] = (byte) v;
    }

    static void putLong(byte[] b, int p, long v) {
        putInt(b, p, (int) (v >>> 32));
        putInt(b, p + 4, (int) v);
    }

    static int getInt(byte[] b, int p) {
        return ((b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
    }

    static {
        // ByteBuffer defaults to big-endian, matching putInt/putLong.
        assert ByteBuffer.allocate(1).order() == ByteOrder.BIG_ENDIAN;
    }
}
