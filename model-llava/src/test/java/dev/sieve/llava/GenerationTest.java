package dev.sieve.llava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Decoding options on the committed example model (runs in every clone). */
class GenerationTest {
    private static Llava llava;
    private static float[] pixels;
    private static int[] ids;
    private static final ExecutionContext CTX = ExecutionContext.create(2);
    private static final Ops PARALLEL = new Ops(CTX);

    @BeforeAll
    static void load() {
        llava = Llava.load(TinyExample.DIR);
        pixels = TinyExample.golden().pixels();
        ids = TinyExample.golden().ids();
    }

    @AfterAll
    static void close() {
        llava.close();
        CTX.close();
    }

    @Test
    void greedyStreamsEveryTokenAndStopsAfterAStopToken() {
        List<Integer> streamed = new ArrayList<>();
        Llava.Generation all = llava.generate(pixels, ids, 8, Sampler.greedy(), new int[0], (step, t) -> streamed.add(t), PARALLEL);
        assertThat(all.newTokens()).containsExactly(250, 272, 50, 255, 89, 85, 280, 283);
        assertThat(streamed).containsExactly(250, 272, 50, 255, 89, 85, 280, 283);
        Llava.Generation stopped = llava.generate(pixels, ids, 8, Sampler.greedy(), new int[] {50}, (s, t) -> { }, PARALLEL);
        assertThat(stopped.newTokens()).containsExactly(250, 272, 50);
        assertThat(stopped.stepLogits()).hasSize(3 * 300);
    }

    @Test
    void seededSamplingRepeatsAndTinyTopPIsGreedy() {
        Llava.Generation a = llava.generate(pixels, ids, 8, new Sampler(1.0f, 0.9f, 7), new int[0], (s, t) -> { }, PARALLEL);
        Llava.Generation b = llava.generate(pixels, ids, 8, new Sampler(1.0f, 0.9f, 7), new int[0], (s, t) -> { }, PARALLEL);
        assertThat(a.newTokens()).containsExactly(b.newTokens());
        Llava.Generation nucleusOfOne = llava.generate(pixels, ids, 8, new Sampler(1.0f, 1e-6f, 3), new int[0], (s, t) -> { }, PARALLEL);
        assertThat(nucleusOfOne.newTokens()).containsExactly(250, 272, 50, 255, 89, 85, 280, 283);
    }

    @Test
    void samplerFollowsTheDistribution() {
        Sampler sampler = new Sampler(1.0f, 1.0f, 11);
        float[] logits = {0f, (float) Math.log(3)}; // p = 0.25, 0.75
        int ones = 0;
        for (int i = 0; i < 20000; i++) {
            ones += sampler.next(logits);
        }
        assertThat(ones / 20000.0).isBetween(0.73, 0.77);
        assertThatThrownBy(() -> new Sampler(-1, 1, 0)).isInstanceOf(ModelException.class);
        assertThatThrownBy(() -> new Sampler(1, 0, 0)).isInstanceOf(ModelException.class);
    }
}
