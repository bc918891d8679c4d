package dev.sieve.pruning;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The random baseline: {@code keep} visual tokens drawn uniformly without replacement from a
 * seeded generator (the same seed keeps the same tokens), before the projector. Any method worth
 * using must beat it at the same budget.
 */
public record RandomBaseline(int keep, long seed) implements VisionMethod {
    /** Spec options: keep=N|RATIO[,seed=S]. */
    public static final String USAGE = "keep=N|RATIO[,seed=S]";

    /** The stage for spec {@code random:keep=N|RATIO[,seed=S]}. */
    public static RandomBaseline fromSpec(PruneSpec spec, dev.sieve.pruning.pipeline.ModelShape shape, int visualTokens) {
        spec.requireKeys(java.util.List.of("keep"), "seed");
        return new RandomBaseline(spec.budget("keep", visualTokens), spec.longValue("seed", 0));
    }

    @Override
    public String name() {
        return "random";
    }

    @Override
    public Stage stage() {
        return Stage.VISION;
    }

    @Override
    public int[] select(VisionSignals signals) {
        int n = signals.tokens();
        if (keep < 0 || keep > n) {
            throw new IllegalArgumentException("cannot keep " + keep + " of " + n + " tokens");
        }
        // Partial Fisher-Yates: the first keep entries are a uniform sample.
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < keep; i++) {
            int j = i + random.nextInt(n - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] kept = Arrays.copyOf(order, keep);
        Arrays.sort(kept);
        return kept;
    }
}
