package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class LargePagesTest {
    /** Sizes below, at and above 2 MiB (odd ones too): zeroed, aligned, the asked size, writable end to end, unmapped at close. */
    @Test
    void allocatesZeroedAlignedMemoryOfTheAskedSize() {
        for (long bytes : new long[] {1, 4096, LargePages.HUGE - 1, LargePages.HUGE, 3 * LargePages.HUGE + 12345}) {
            try (Arena arena = Arena.ofShared()) {
                MemorySegment s = LargePages.allocate(arena, bytes);
                assertThat(s.byteSize()).isEqualTo(bytes);
                assertThat(s.address() % 64).isZero();
                if (LargePages.available() && bytes >= LargePages.HUGE) {
                    assertThat(s.address() % LargePages.HUGE).as("huge-page aligned").isZero();
                }
                for (long i = 0; i < bytes; i += 4093) {
                    assertThat(s.get(ValueLayout.JAVA_BYTE, i)).isZero();
                }
                assertThat(s.get(ValueLayout.JAVA_BYTE, bytes - 1)).isZero();
                s.fill((byte) 7);
                assertThat(s.get(ValueLayout.JAVA_BYTE, bytes - 1)).isEqualTo((byte) 7);
                assertThat(s.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 7);
            }
        }
    }

    /** Closing the arena unmaps: the segment is no longer accessible (and the process keeps running). */
    @Test
    void closingTheArenaReleasesTheMemory() {
        MemorySegment s;
        try (Arena arena = Arena.ofShared()) {
            s = LargePages.allocate(arena, 5 * LargePages.HUGE);
            s.set(ValueLayout.JAVA_LONG, 0, 42L);
        }
        MemorySegment closed = s;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> closed.get(ValueLayout.JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
    }
}
