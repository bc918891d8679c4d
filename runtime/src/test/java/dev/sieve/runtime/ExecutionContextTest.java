package dev.sieve.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ExecutionContextTest {
    @Test
    void defaultsToSimdOnEveryCore() {
        try (ExecutionContext ctx = ExecutionContext.create()) {
            assertThat(ctx.backend()).isEqualTo(ExecutionContext.Backend.SIMD);
            assertThat(ctx.threads()).isEqualTo(Runtime.getRuntime().availableProcessors());
            assertThat(ctx.parallel().threads()).isEqualTo(ctx.threads());
            assertThat(ctx.counters()).isNotNull();
        }
        try (ExecutionContext ctx = ExecutionContext.create(1, ExecutionContext.Backend.SCALAR)) {
            assertThat(ctx.backend()).isEqualTo(ExecutionContext.Backend.SCALAR);
        }
        assertThatThrownBy(() -> ExecutionContext.create(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void scratchIsReusedPerThreadAndSlot() {
        try (ExecutionContext ctx = ExecutionContext.create(2)) {
            float[] a = ctx.scratchFloats(0, 100);
            assertThat(a.length).isGreaterThanOrEqualTo(100);
            assertThat(ctx.scratchFloats(0, 50)).isSameAs(a);
            assertThat(ctx.scratchFloats(0, 100)).isSameAs(a);
            assertThat(ctx.scratchFloats(1, 10)).isNotSameAs(a);
            float[] bigger = ctx.scratchFloats(0, 1000);
            assertThat(bigger.length).isGreaterThanOrEqualTo(1000);
            assertThat(ctx.scratchFloats(0, 100)).isSameAs(bigger); // never shrinks

            MemorySegment s = ctx.scratchSegment(0, 256);
            assertThat(s.byteSize()).isGreaterThanOrEqualTo(256);
            assertThat(s.address() % 64).isZero();
            assertThat(ctx.scratchSegment(0, 128)).isSameAs(s);
            assertThatThrownBy(() -> ctx.scratchFloats(ExecutionContext.MAX_SLOTS, 1)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void threadsGetTheirOwnScratch() {
        try (ExecutionContext ctx = ExecutionContext.create(2)) {
            float[] mine = ctx.scratchFloats(0, 16);
            AtomicReference<float[]> theirs = new AtomicReference<>();
            Thread other = new Thread(() -> theirs.set(ctx.scratchFloats(0, 16)));
            other.start();
            try {
                other.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertThat(theirs.get()).isNotNull().isNotSameAs(mine);
        }
    }

    @Test
    void closedContextRefusesScratch() {
        ExecutionContext ctx = ExecutionContext.create(2);
        MemorySegment s = ctx.scratchSegment(0, 64);
        ctx.close();
        ctx.close(); // idempotent
        assertThatThrownBy(() -> ctx.scratchFloats(0, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }
}
