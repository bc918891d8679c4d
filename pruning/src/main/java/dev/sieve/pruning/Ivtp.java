package dev.sieve.pruning;

/**
 * IVTP — Huang et al., "IVTP: Instruction-guided Visual Token Pruning for Large Vision-Language
 * Models" (ECCV 2024). There is no public code; this follows the paper's LLM-side rule: the
 * importance of image token i at layer K-1 is the attention from the <b>instruction tokens</b> to
 * i, averaged over heads and over those tokens; the {@code keep} most important stay in raster
 * order and later layers see them with their original positions (as FastV does).
 *
 * <p>Choices where the paper is silent (documented so results can be compared): the instruction
 * tokens are every prompt row after the image (the question and the template's
 * {@code ASSISTANT:}); with no text after the image the last prompt token is used alone, which
 * makes IVTP coincide with FastV. The paper's pruning inside the vision tower, multi-layer fusion
 * and two-stage schedule are not implemented.
 */
public record Ivtp(int layer, int keep) implements LayerMethod {
    public Ivtp {
        if (layer < 1 || keep < 0) {
            throw new IllegalArgumentException("IVTP needs k >= 1 and keep >= 0, got k=" + layer + " keep=" + keep);
        }
    }

    @Override
    public int[] queryRows(int length, int imageStart, int imageRows) {
        int first = imageStart + imageRows;
        if (first >= length) {
            return new int[] {length - 1};
        }
        return java.util.stream.IntStream.range(first, length).toArray();
    }
}
