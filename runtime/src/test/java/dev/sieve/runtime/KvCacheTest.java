package dev.sieve.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class KvCacheTest {
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 3;
    private static final int ROW = KV_HEADS * HEAD_DIM;

    /** {@code count} rows where every float of row t is {@code base + t}. */
    private static MemorySegment rows(float base, int count) {
        float[] a = new float[count * ROW];
        for (int t = 0; t < count; t++) {
            java.util.Arrays.fill(a, t * ROW, (t + 1) * ROW, base + t);
        }
        return MemorySegment.ofArray(a);
    }

    private static float keyAt(KvCache cache, int layer, int row) {
        return cache.keyTensor(layer).getFloat(row, ROW - 1);
    }

    private static float valueAt(KvCache cache, int layer, int row) {
        return cache.valueTensor(layer).getFloat(row, 0);
    }

    @Test
    void appendsAndReadsBackPerLayer() {
        try (KvCache cache = new KvCache(3, KV_HEADS, HEAD_DIM, 10)) {
            cache.append(0, rows(0, 4), rows(100, 4), 4);
            cache.append(0, rows(4, 2), rows(104, 2), 2);
            assertThat(cache.length(0)).isEqualTo(6);
            assertThat(cache.length(1)).isZero();
            assertThat(cache.keys(0).byteSize()).isEqualTo(6L * ROW * 4);
            assertThat(cache.keyTensor(0).shape()).containsExactly(6, ROW);
            for (int t = 0; t < 6; t++) {
                assertThat(keyAt(cache, 0, t)).isEqualTo(t);
                assertThat(valueAt(cache, 0, t)).isEqualTo(100 + t);
            }
        }
    }

    @Test
    void compactKeepsTheChosenRowsAndLayersDiverge() {
        try (KvCache cache = new KvCache(2, KV_HEADS, HEAD_DIM, 8)) {
            cache.append(0, rows(0, 8), rows(100, 8), 8);
            cache.append(1, rows(0, 8), rows(100, 8), 8);
            cache.compact(1, new int[] {0, 3, 4, 7});
            assertThat(cache.length(0)).isEqualTo(8);
            assertThat(cache.length(1)).isEqualTo(4);
            int[] kept = {0, 3, 4, 7};
            for (int i = 0; i < kept.length; i++) {
                assertThat(keyAt(cache, 1, i)).isEqualTo(kept[i]);
                assertThat(valueAt(cache, 1, i)).isEqualTo(100 + kept[i]);
            }
            assertThat(keyAt(cache, 0, 7)).isEqualTo(7);
            // The compacted layer keeps growing from its new length.
            cache.append(1, rows(50, 1), rows(150, 1), 1);
            assertThat(cache.length(1)).isEqualTo(5);
            assertThat(keyAt(cache, 1, 4)).isEqualTo(50);
        }
    }

    @Test
    void badIndicesAreRejected() {
        try (KvCache cache = new KvCache(1, KV_HEADS, HEAD_DIM, 8)) {
            cache.append(0, rows(0, 5), rows(0, 5), 5);
            assertThatThrownBy(() -> cache.compact(0, new int[] {0, 2, 2})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("strictly increasing");
            assertThatThrownBy(() -> cache.compact(0, new int[] {3, 1})).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> cache.compact(0, new int[] {1, 5})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("length 5");
            assertThatThrownBy(() -> cache.compact(0, new int[] {-1})).isInstanceOf(IllegalArgumentException.class);
            assertThat(cache.length(0)).isEqualTo(5);
            assertThatThrownBy(() -> cache.length(1)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void overflowIsRejectedWithLayerLengthAndCapacity() {
        try (KvCache cache = new KvCache(2, KV_HEADS, HEAD_DIM, 4)) {
            cache.append(1, rows(0, 3), rows(0, 3), 3);
            assertThatThrownBy(() -> cache.append(1, rows(0, 2), rows(0, 2), 2)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("layer 1").hasMessageContaining("holds 3").hasMessageContaining("capacity 4");
            assertThat(cache.length(1)).isEqualTo(3);
            assertThatThrownBy(() -> cache.append(0, rows(0, 1), rows(0, 1), 2)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void truncateClearAndExtend() {
        try (KvCache cache = new KvCache(2, KV_HEADS, HEAD_DIM, 6)) {
            cache.append(0, rows(0, 5), rows(0, 5), 5);
            cache.truncate(0, 2);
            assertThat(cache.length(0)).isEqualTo(2);
            assertThatThrownBy(() -> cache.truncate(0, 3)).isInstanceOf(IllegalArgumentException.class);
            int start = cache.extend(0, 1);
            assertThat(start).isEqualTo(2);
            cache.keyTensor(0).row(2).setFloat(42f, ROW - 1);
            assertThat(keyAt(cache, 0, 2)).isEqualTo(42f);
            cache.append(1, rows(0, 1), rows(0, 1), 1);
            cache.clear();
            assertThat(cache.length(0)).isZero();
            assertThat(cache.length(1)).isZero();
        }
    }
}
