package dev.sieve.llava.api;

import java.util.List;
import java.util.Objects;

/**
 * One question about one image. Build with {@link #of} and the {@code with...} methods:
 * {@code SieveRequest.of(SieveImage.of(path), "How many circles are there?").withPrune("fastv:k=2,keep=16").withMaxTokens(8)}.
 *
 * <p>A prompt without {@code <image>} is wrapped in the LLaVA-1.5 template {@code USER: <image>\n{prompt} ASSISTANT:};
 * one that has it is used as written.
 *
 * @param image the image
 * @param prompt the question (or a full prompt containing {@code <image>})
 * @param prune a pruning plan spec (e.g. {@code vispruner:keep=64+fastv:k=2,keep=32}), or null for the model's default
 * @param maxTokens new tokens at most; 0 for as many as the context leaves
 * @param temperature 0 for greedy decoding, else sampling at this temperature
 * @param topP nucleus sampling mass in (0, 1]
 * @param seed sampling seed (the same seed gives the same answer)
 * @param stop strings that end the answer (not included in it); end of sequence always does
 */
public record SieveRequest(SieveImage image, String prompt, String prune, int maxTokens, float temperature, float topP, long seed,
                           List<String> stop) {
    /** The most stop strings one request may give (OpenAI allows 4). */
    public static final int MAX_STOP_STRINGS = 4;

    public SieveRequest {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(prompt, "prompt");
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    public static SieveRequest of(SieveImage image, String prompt) {
        return new SieveRequest(image, prompt, null, 0, 0, 1, 0, List.of());
    }

    public SieveRequest withPrune(String spec) {
        return new SieveRequest(image, prompt, spec, maxTokens, temperature, topP, seed, stop);
    }

    public SieveRequest withMaxTokens(int n) {
        return new SieveRequest(image, prompt, prune, n, temperature, topP, seed, stop);
    }

    public SieveRequest withSampling(float temperature, float topP, long seed) {
        return new SieveRequest(image, prompt, prune, maxTokens, temperature, topP, seed, stop);
    }

    public SieveRequest withStop(List<String> strings) {
        return new SieveRequest(image, prompt, prune, maxTokens, temperature, topP, seed, strings);
    }

    public SieveRequest withImage(SieveImage other) {
        return new SieveRequest(other, prompt, prune, maxTokens, temperature, topP, seed, stop);
    }
}
