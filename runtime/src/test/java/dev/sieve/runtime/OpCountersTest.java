package dev.sieve.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class OpCountersTest {
    @Test
    void concurrentRecordsAddUp() throws InterruptedException {
        OpCounters counters = new OpCounters();
        int perThread = 100_000;
        CountDownLatch go = new CountDownLatch(1);
        Runnable work = () -> {
            try {
                go.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (int i = 0; i < perThread; i++) {
                counters.record(OpKind.GEMM, 10, 3);
                counters.record(OpKind.NORM, 1, 1);
            }
        };
        Thread a = new Thread(work);
        Thread b = new Thread(work);
        a.start();
        b.start();
        go.countDown();
        a.join();
        b.join();
        OpCounters.Snapshot s = counters.snapshot();
        assertThat(s.get(OpKind.GEMM)).isEqualTo(new OpCounters.Stats(2L * perThread, 20L * perThread, 6L * perThread));
        assertThat(s.get(OpKind.NORM).calls()).isEqualTo(2L * perThread);
        assertThat(s.get(OpKind.ROPE)).isEqualTo(OpCounters.Stats.ZERO);
        assertThat(s.total().flops()).isEqualTo(22L * perThread);
    }

    @Test
    void timersSnapshotsResetAndTable() {
        OpCounters counters = new OpCounters();
        counters.time(OpKind.ATTENTION, 500, () -> { });
        try (var t = counters.start(OpKind.GEMV, 2_000_000_000L)) {
            assertThat(t.kind()).isEqualTo(OpKind.GEMV);
        }
        OpCounters.Snapshot before = counters.snapshot();
        assertThat(before.get(OpKind.ATTENTION).calls()).isEqualTo(1);
        assertThat(before.get(OpKind.GEMV).flops()).isEqualTo(2_000_000_000L);
        assertThat(before.get(OpKind.GEMV).nanos()).isNotNegative();

        counters.record(OpKind.GEMV, 1_000_000_000L, 1_000_000L);
        OpCounters.Stats phase = counters.snapshot().since(before).get(OpKind.GEMV);
        assertThat(phase).isEqualTo(new OpCounters.Stats(1, 1_000_000_000L, 1_000_000L));
        assertThat(phase.gflopsPerSecond()).isEqualTo(1000.0);
        assertThat(phase.millis()).isEqualTo(1.0);

        String table = counters.table();
        assertThat(table).contains("kind", "calls", "GFLOP/s", "GEMV", "ATTENTION", "total").doesNotContain("ROPE");
        assertThatThrownBy(() -> before.byKind().put(OpKind.ROPE, OpCounters.Stats.ZERO))
                .isInstanceOf(UnsupportedOperationException.class);

        counters.reset();
        assertThat(counters.snapshot().total()).isEqualTo(OpCounters.Stats.ZERO);
        assertThat(before.get(OpKind.ATTENTION).calls()).isEqualTo(1); // snapshots are values
    }
}
