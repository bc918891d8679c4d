package dev.sieve.cli;

import dev.sieve.llava.Llava;
import dev.sieve.llava.PrefillFlops;
import dev.sieve.llava.Sampler;
import dev.sieve.runtime.ExecutionContext;
import dev.sieve.runtime.Ops;
import dev.sieve.safetensors.DType;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import dev.sieve.safetensors.SafetensorsWriter;
import dev.sieve.safetensors.TensorView;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code sieve forward}: one forward pass and greedy decoding on inputs in the fixture format
 * ({@code pixel_values} F32 [1,3,H,W], {@code input_ids} I64 [1,L]); writes {@code logits}
 * F32 [1,S,V] for every position of the merged sequence and {@code generated_ids} I64 [1,G].
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Run a LLaVA checkpoint on pixel_values + input_ids from a .safetensors file; write logits and greedy tokens.")
final class ForwardCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "llava-hf checkpoint directory")
    Path model;

    @Option(names = "--inputs", required = true, paramLabel = "IN.safetensors", description = "pixel_values F32 [1,3,H,W] and input_ids I64 [1,L]")
    Path inputs;

    @Option(names = "--out", required = true, paramLabel = "OUT.safetensors", description = "where to write logits and generated_ids")
    Path out;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "greedy tokens to generate (default: ${DEFAULT-VALUE})")
    int maxNewTokens = 8;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--prune", paramLabel = "SPEC", description = PruneOption.HELP)
    String prune = "none";

    @Spec
    CommandSpec commandSpec;

    @Override
    public Integer call() {
        OptionChecks.atLeast("--max-new-tokens", maxNewTokens, 1);
        OptionChecks.atLeastIfGiven("--threads", threads, 1);
        PruneOption pruning = new PruneOption(prune);
        float[] pixels;
        int[] ids;
        try (SafetensorsCheckpoint in = SafetensorsCheckpoint.open(inputs)) {
            pixels = input(in, "pixel_values", DType.F32, 4).toFloatArray();
            TensorView idTensor = input(in, "input_ids", DType.I64, 2);
            if (idTensor.dim(0) != 1) {
                throw new UserInputException(inputs + ": input_ids has batch " + idTensor.dim(0) + "; forward takes batch 1");
            }
            ids = Arrays.stream(idTensor.toLongArray()).mapToInt(Math::toIntExact).toArray();
        }
        long start = System.nanoTime();
        try (Llava llava = Llava.load(model);
             ExecutionContext ctx = threads == null ? ExecutionContext.create() : ExecutionContext.create(threads)) {
            dev.sieve.pruning.PrunePlan plan = pruning.resolve(llava.config(), model);
            Llava.Generation g = llava.generate(pixels, ids, maxNewTokens, Sampler.greedy(), new int[0], (step, token) -> { },
                    plan, new Ops(ctx));
            PrefillFlops flops = PrefillFlops.of(g, llava.config(), llava.unprunedPromptLength(ids));
            int vocab = llava.config().text().vocabSize();
            SafetensorsWriter writer = SafetensorsWriter.to(out);
            // One kept_indices.<n> per cut, in the order they apply, as sorted indices among the original image tokens
            // (merged rows are not original tokens, so they are left out); kept_indices_<stage> after each stage's last cut.
            int n = 0;
            for (Cuts.Named cut : Cuts.of(g)) {
                int[] kept = cut.cut().kept();
                writer.addLongs("kept_indices." + n++, DType.I64, new long[] {kept.length}, Arrays.stream(kept).asLongStream().toArray());
            }
            for (int s = 0; s < g.stages().size(); s++) {
                int[] kept = g.stages().get(s).kept();
                if (kept != null) {
                    writer.addLongs("kept_indices_" + s, DType.I64, new long[] {kept.length}, Arrays.stream(kept).asLongStream().toArray());
                }
            }
            writer.addLongs("vision_tokens_per_layer", DType.I64, new long[] {g.visionTokensPerLayer().length},
                    Arrays.stream(g.visionTokensPerLayer()).asLongStream().toArray());
            writer.addLongs("tokens_per_layer", DType.I64, new long[] {flops.tokensPerLayer().length},
                    Arrays.stream(flops.tokensPerLayer()).asLongStream().toArray());
            writer.metadata("producer", "sieve forward").metadata("prune", prune)
                    .metadata("prefill_flops_llm", String.valueOf(flops.llm()))
                    .metadata("prefill_flops_llm_unpruned", String.valueOf(flops.llmUnpruned()))
                    .metadata("prefill_flops_vision", String.valueOf(flops.vision()))
                    .metadata("prefill_flops_projector", String.valueOf(flops.projector()))
                    .addFloats("logits", DType.F32, new long[] {1, g.promptLength(), vocab}, g.promptLogits())
                    .addLongs("generated_ids", DType.I64, new long[] {1, maxNewTokens}, Arrays.stream(g.newTokens()).asLongStream().toArray())
                    .write();
            PrintWriter o = commandSpec.commandLine().getOut();
            o.printf("%s: %d positions, %d new tokens %s, %.3f GFLOP in %.0f ms -> %s%n", model, g.promptLength(), maxNewTokens,
                    Arrays.toString(g.newTokens()), ctx.counters().snapshot().total().gflop(), (System.nanoTime() - start) / 1e6, out);
        }
        return Main.EXIT_OK;
    }

    private TensorView input(SafetensorsCheckpoint in, String name, DType dtype, int rank) {
        TensorView t = in.find(name).orElseThrow(() -> new UserInputException(inputs + ": no tensor '" + name + "'"));
        if (t.dtype() != dtype || t.rank() != rank) {
            throw new UserInputException(inputs + ": tensor '" + name + "' is " + t.dtype() + Arrays.toString(t.shape())
                    + ", expected " + dtype + " of rank " + rank);
        }
        return t;
    }
}
