package dev.sieve.llava;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy (temperature 0: argmax, first index on ties, as
 * torch.argmax) or sampling with temperature and nucleus (top-p) filtering as transformers'
 * TemperatureLogitsWarper + TopPLogitsWarper do, from a seeded generator so runs repeat.
 */
public final class Sampler {
    private final float temperature;
    private final float topP;
    private final SplittableRandom random;

    /**
     * @param temperature 0 for greedy decoding, else > 0
     * @param topP in (0, 1]: keep the smallest set of most likely tokens whose probability reaches topP
     * @param seed seed of the sampling generator
     */
    public Sampler(float temperature, float topP, long seed) {
        if (!(temperature >= 0) || !(topP > 0 && topP <= 1)) {
            throw new ModelException("temperature must be >= 0 and top-p in (0, 1]; got temperature " + temperature + ", top-p " + topP);
        }
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0, 1, 0);
    }

    public int next(float[] logits) {
        if (temperature == 0) {
            return Llava.argmax(logits);
        }
        int n = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l / temperature);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(logits[i] / temperature - max);
            sum += p[i];
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            p[i] /= sum;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        // Nucleus: the most likely tokens until their mass reaches topP (always at least one).
        int keep = 0;
        double mass = 0;
        while (keep < n && (keep == 0 || mass < topP)) {
            mass += p[order[keep++]];
        }
        double u = random.nextDouble() * mass;
        for (int i = 0; i < keep; i++) {
            u -= p[order[i]];
            if (u <= 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }
}
