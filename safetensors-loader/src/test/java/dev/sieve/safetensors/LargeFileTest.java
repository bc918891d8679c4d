package dev.sieve.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 2.75 GiB file (sparse: it costs no disk) with one tensor larger than 2 GiB: it opens through one
 * mapping, its last element is readable, and the heap does not grow by anything like its size.
 */
class LargeFileTest {
    private static final long BIG = 5L << 28;   // 1.25 Gi F16 elements = 2.5 GiB
    private static final long SMALL = 1L << 28; // 256 Mi U8 elements = 256 MiB

    @TempDir
    Path dir;

    @Test
    void aMultiGigabyteFileOpensWithoutCopyingOntoTheHeap() throws Exception {
        String json = "{\"big\":{\"dtype\":\"F16\",\"shape\":[" + (BIG / 1024) + ",1024],\"data_offsets\":[0," + (BIG * 2) + "]},"
                + "\"tail\":{\"dtype\":\"U8\",\"shape\":[" + SMALL + "],\"data_offsets\":[" + (BIG * 2) + "," + (BIG * 2 + SMALL) + "]}}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("big.safetensors");
        long dataStart = 8 + header.length;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            raf.write(header);
            raf.setLength(dataStart + BIG * 2 + SMALL); // sparse: zeros without disk blocks
            raf.seek(dataStart + BIG * 2 - 2);
            raf.write(new byte[] {0x00, 0x3c}); // last F16 element of 'big' = 1.0
            raf.seek(dataStart + BIG * 2 + SMALL - 1);
            raf.write(7);
        }

        var memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long heapBefore = memory.getHeapMemoryUsage().getUsed();
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(file)) {
            long heapAfter = memory.getHeapMemoryUsage().getUsed();
            TensorView big = c.tensor("big");
            assertThat(big.byteSize()).isGreaterThan(Integer.MAX_VALUE);
            assertThat(big.getFloat(big.elementCount() - 1)).isEqualTo(1f);
            assertThat(big.getFloat(big.elementCount() / 2)).isZero();
            assertThat(c.tensor("tail").getLong(SMALL - 1)).isEqualTo(7);
            assertThat(c.dataBytes()).isEqualTo(BIG * 2 + SMALL);
            // The file is 2.75 GiB; opening it may allocate the parsed header, not the data.
            assertThat(heapAfter - heapBefore).as("heap growth while opening").isLessThan(64L << 20);
        }
    }
}
