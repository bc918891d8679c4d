package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void everyTaskRunsExactlyOnceAcrossManyCallsWithIdleGaps() {
        try (Parallel p = Parallel.create(3)) {
            for (int call = 0; call < 2000; call++) {
                int n = 1 + call % 37;
                AtomicIntegerArray runs = new AtomicIntegerArray(n);
                p.forEach(n, runs::incrementAndGet);
                for (int i = 0; i < n; i++) {
                    assertThat(runs.get(i)).as("call %d, task %d of %d", call, i, n).isEqualTo(1);
                }
                if (call % 200 == 0) {
                    // Longer than the spin: the workers park and must be woken for the next call.
                    LockSupport.parkNanos((Parallel.SPIN_MICROS + 300) * 1000);
                }
            }
        }
    }

    @Test
    void aFailingTaskIsRethrownAndThePoolKeepsWorking() {
        try (Parallel p = Parallel.create(2)) {
            assertThatThrownBy(() -> p.forEach(64, i -> {
                if (i == 40) {
                    throw new IllegalStateException("task 40");
                }
            })).isInstanceOf(IllegalStateException.class).hasMessage("task 40");
            AtomicIntegerArray runs = new AtomicIntegerArray(64);
            p.forEach(64, runs::incrementAndGet);
            for (int i = 0; i < 64; i++) {
                assertThat(runs.get(i)).isEqualTo(1);
            }
        }
    }

    @Test
    void nestedCallsAndConcurrentCallersBothComplete() throws Exception {
        try (Parallel p = Parallel.create(2)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(16 * 16);
            p.forEach(16, i -> p.forEach(16, j -> runs.incrementAndGet(16 * i + j)));
            for (int i = 0; i < 256; i++) {
                assertThat(runs.get(i)).isEqualTo(1);
            }
            // Two threads calling at once: one gets the workers, the other runs its tasks itself; both finish every task.
            int callers = 4;
            AtomicIntegerArray counts = new AtomicIntegerArray(callers * 1000);
            CountDownLatch start = new CountDownLatch(1);
            Thread[] threads = new Thread[callers];
            for (int c = 0; c < callers; c++) {
                int caller = c;
                threads[c] = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int call = 0; call < 50; call++) {
                        p.forEach(1000, i -> counts.incrementAndGet(caller * 1000 + i));
                    }
                });
                threads[c].start();
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            for (int i = 0; i < callers * 1000; i++) {
                assertThat(counts.get(i)).as("slot %d", i).isEqualTo(50);
            }
        }
    }
}
