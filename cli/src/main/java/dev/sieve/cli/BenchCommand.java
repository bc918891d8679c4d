package dev.sieve.cli;

import dev.sieve.cli.bench.KernelBenchmark;
import dev.sieve.kernels.WeightType;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code sieve bench kernels}: GEMM, GEMV and attention against their peers, measured in one run;
 * {@code sieve bench prefill}: prefill latency and FLOPs of pruning configurations on a model.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks. 'kernels': GEMM vs OpenBLAS, GEMV vs memory bandwidth, attention; one line per case with the ratio.",
            "'prefill': prefill latency and FLOPs of --prune configurations on --model, as ratios to the unpruned pass of the same run.",
            "'llm': the language model of --model alone, as llama-bench -p P -n N: prefill of --prompt-tokens random ids, then --gen-tokens decode steps;"
                    + " prints lines like 'pp611 17.70 t/s' and 'tg16 0.96 t/s'."})
final class BenchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SUITE", description = "kernels, prefill or llm")
    String suite;

    @Option(names = "--model", paramLabel = "DIR", description = "prefill, llm: llava-hf checkpoint directory")
    java.nio.file.Path model;

    @Option(names = "--prune", paramLabel = "SPEC", description = "prefill: a configuration (repeatable; the unpruned pass is always measured)")
    List<String> prune = new java.util.ArrayList<>();

    @Option(names = "--warm-passes", paramLabel = "N", description = "prefill, llm: untimed passes of every configuration before timing (default: ${DEFAULT-VALUE})")
    int warmPasses = 1;

    @Option(names = "--decode", paramLabel = "N", description = "prefill: also time N decode steps of the unpruned run (default: ${DEFAULT-VALUE})")
    int decode = 0;

    @Option(names = "--question-tokens", paramLabel = "N", description = "prefill: text tokens after the image when the model has no inputs.safetensors (default: ${DEFAULT-VALUE})")
    int questionTokens = 30;

    @Option(names = "--prompt-tokens", paramLabel = "N", description = "llm: prompt length in tokens (default: ${DEFAULT-VALUE})")
    int promptTokens = 611;

    @Option(names = "--gen-tokens", paramLabel = "N", description = "llm: decode steps after the prompt (default: ${DEFAULT-VALUE})")
    int genTokens = 16;

    @Option(names = "--reps", description = "timed runs per case (default: ${DEFAULT-VALUE})")
    int reps = 7;

    @Option(names = "--warmup", paramLabel = "SECONDS", description = "JIT warm-up per case (default: ${DEFAULT-VALUE})")
    double warmup = 3;

    @Option(names = "--threads", split = ",", description = "kernels: thread counts for GEMM (default: 1 and all cores); prefill, llm: threads (default: all cores)")
    List<Integer> threads;

    @Option(names = "--weights", paramLabel = "TYPE", description = "prefill, llm: " + WeightsOption.DESCRIPTION)
    String weights;

    @Option(names = "--no-mmap", description = "prefill, llm: " + WeightsOption.NO_MMAP_DESCRIPTION)
    boolean noMmap;

    @Option(names = "--only", description = "only cases whose kind is this: gemm, gemv or attention")
    String only;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (suite.equals("prefill")) {
            OptionChecks.required("--model DIR", model, "bench prefill");
            OptionChecks.atLeast("--reps", reps, 1);
            OptionChecks.atLeast("--question-tokens", questionTokens, 1);
            OptionChecks.atLeast("--decode", decode, 0);
            OptionChecks.atLeast("--warm-passes", warmPasses, 0);
            Integer t = threads == null || threads.isEmpty() ? null : threads.get(0);
            OptionChecks.atLeastIfGiven("--threads", t, 1);
            new PrefillBench(spec.commandLine().getOut(), spec.commandLine().getErr()).run(model, prune, reps, warmPasses, decode, questionTokens, t,
                    WeightsOption.Load.of(weights, noMmap));
            return Main.EXIT_OK;
        }
        if (suite.equals("llm")) {
            Integer t = threads == null || threads.isEmpty() ? null : threads.get(0);
            OptionChecks.required("--model DIR", model, "bench llm");
            OptionChecks.atLeast("--reps", reps, 1);
            OptionChecks.atLeast("--prompt-tokens", promptTokens, 1);
            OptionChecks.atLeast("--gen-tokens", genTokens, 0);
            OptionChecks.atLeast("--warm-passes", warmPasses, 0);
            OptionChecks.atLeastIfGiven("--threads", t, 1);
            new LlmBench(spec.commandLine().getOut(), spec.commandLine().getErr()).run(model, promptTokens, genTokens, WeightsOption.Load.of(weights, noMmap), t,
                    reps, warmPasses);
            return Main.EXIT_OK;
        }
        if (!suite.equals("kernels")) {
            throw new UserInputException("unknown benchmark suite '" + suite + "'; available: kernels, prefill, llm");
        }
        if (only != null && !List.of("gemm", "gemv", "attention").contains(only)) {
            throw new UserInputException("--only must be gemm, gemv or attention, got '" + only + "'");
        }
        OptionChecks.atLeast("--reps", reps, 1);
        if (!(warmup >= 0 && warmup <= 3600)) {  // also refuses NaN
            throw new UserInputException("--warmup must be between 0 and 3600 seconds, got " + warmup);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        List<Integer> gemmThreads = threads != null ? threads : cores == 1 ? List.of(1) : List.of(1, cores);
        for (int t : gemmThreads) {
            OptionChecks.atLeast("--threads", t, 1);
        }
        PrintWriter out = spec.commandLine().getOut();
        KernelBenchmark bench = new KernelBenchmark(out, reps, warmup);
        out.println("# sieve bench kernels: " + cores + " cores, Java " + Runtime.version() + "; peer: " + bench.peerDescription());
        if (bench.peerDescription().contains("Prescott")) {
            out.println("# note: OpenBLAS picked its generic SSE3 'Prescott' kernels (it does not know this CPU); set OPENBLAS_CORETYPE"
                    + " (e.g. SkylakeX) for a fair comparison (./sieve bench does this on AVX-512 machines)");
        }
        out.println("# best of " + reps + " interleaved runs after " + warmup + " s warm-up; ratio = sieve best / peer best");
        if (only == null || only.equals("gemm")) {
            for (int t : gemmThreads) {
                for (int[] s : KernelBenchmark.GEMM_SHAPES) {
                    bench.gemm(s[0], s[1], s[2], WeightType.F32, t);
                }
            }
            for (WeightType type : new WeightType[] {WeightType.F16, WeightType.BF16, WeightType.Q8_0}) {
                for (int[] s : KernelBenchmark.GEMM_SHAPES) {
                    bench.gemm(s[0], s[1], s[2], type, cores);
                }
            }
        }
        if (only == null || only.equals("gemv")) {
            double triad = bench.triad(cores);
            for (WeightType type : WeightType.values()) {
                for (int[] s : KernelBenchmark.GEMV_SHAPES) {
                    bench.gemv(s[0], s[1], type, cores, triad);
                }
            }
        }
        if (only == null || only.equals("attention")) {
            bench.attention(640, 32, 128, cores);
        }
        return Main.EXIT_OK;
    }
}
