package dev.sieve.llava;

import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;

/** What every pruning golden test shares: the four fixture cases and one two-thread context per test class. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PruningGoldenTestBase {
    private final ExecutionContext ctx = ExecutionContext.create(2);

    Ops ops() {
        return new Ops(ctx);
    }

    static Stream<String> cases() {
        return Stream.of("tiny-llava/c0", "tiny-llava/c1", "tiny-llava-gqa/c0", "tiny-llava-gqa/c1");
    }

    @AfterAll
    void closeContext() {
        ctx.close();
    }
}
