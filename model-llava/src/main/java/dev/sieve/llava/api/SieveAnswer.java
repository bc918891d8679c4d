package dev.sieve.llava.api;

import java.util.List;

/**
 * What one request gave.
 *
 * @param text the answer (end of sequence and any stop string dropped, surrounding blanks stripped)
 * @param tokenIds the generated token ids, end of sequence included when the model produced it
 * @param finishReason {@code "stop"} (end of sequence or a stop string) or {@code "length"} (max tokens reached)
 * @param prune the pruning spec the request ran with
 * @param usage token counts
 * @param timings where the time went
 * @param flops prefill FLOPs with the papers' formula, against the same prompt unpruned
 * @param keptPatches the image patches each pruning stage kept (raster indices; empty unpruned), for pictures
 */
public record SieveAnswer(String text, int[] tokenIds, String finishReason, String prune, Usage usage, Timings timings, Flops flops,
                          List<KeptPatches> keptPatches) {

    /**
     * @param promptTokens positions the language model prefilled (text tokens plus the visual tokens it was given)
     * @param completionTokens tokens generated
     * @param visualTokensTotal the image's visual tokens before pruning
     * @param visualTokensKept visual tokens that reached the last LLM layer
     */
    public record Usage(int promptTokens, int completionTokens, int visualTokensTotal, int visualTokensKept) {
        public int totalTokens() {
            return promptTokens + completionTokens;
        }
    }

    /**
     * @param queueMs waiting for a place in the running batch
     * @param imageMs vision tower and projector (and vision-side pruning)
     * @param prefillMs the language model over the prompt
     * @param timeToFirstTokenMs from submission to the first token chosen
     * @param decodeMs decoding after the first token (the batch's steps this request took part in)
     * @param totalMs from submission to the end
     */
    public record Timings(double queueMs, double imageMs, double prefillMs, double timeToFirstTokenMs, double decodeMs, double totalMs) {}

    /**
     * @param llm prefill FLOPs of the language model
     * @param llmUnpruned the same prompt without pruning
     * @param vision the vision tower
     * @param projector the projector
     * @param tokensPerLayer tokens each decoder layer saw
     */
    public record Flops(double llm, double llmUnpruned, double vision, double projector, int[] tokensPerLayer) {
        /** LLM prefill FLOPs as a fraction of unpruned. */
        public double llmRatio() {
            return llm / llmUnpruned;
        }

        public double total() {
            return llm + vision + projector;
        }
    }

    /** One pruning stage's kept patches: the stage's name and sorted raster indices among the image's patches. */
    public record KeptPatches(String stage, int[] kept) {}
}
