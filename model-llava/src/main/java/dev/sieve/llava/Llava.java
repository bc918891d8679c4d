package dev.sieve.llava;

import dev.sieve.kernels.AttentionProbe;
import dev.sieve.kernels.Parallel;
import dev.sieve.pruning.PrunePlan;
import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.StageResult;
import dev.sieve.runtime.KvCache;
import dev.sieve.runtime.Ops;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A LLaVA-1.5 checkpoint in the llava-hf layout, run end to end: pixels and token ids in, logits
 * and greedy tokens out, reproducing Hugging Face transformers 4.44 (eager, float32).
 */
public final class Llava implements AutoCloseable {
    private final LlavaConfig config;
    private final SafetensorsCheckpoint checkpoint;
    private final ClipVisionTower vision;
    private final Projector projector;
    private final LlamaDecoder decoder;
    private final Prefill prefill;
    private final ModelShape shape;

    /** Memory of weights converted at load (null when none were): freed by {@link #close}. */
    private final Arena convertedWeights;

    private Llava(LlavaConfig config, SafetensorsCheckpoint checkpoint, Weights weights, Arena convertedWeights, Path directory) {
        this.config = config;
        this.checkpoint = checkpoint;
        this.convertedWeights = convertedWeights;
        this.vision = new ClipVisionTower(config.vision(), config.visionLayersToRun(), weights);
        this.projector = new Projector(config, weights);
        this.decoder = new LlamaDecoder(config.text(), weights);
        this.shape = shapeOf(config, directory);
        this.prefill = new Prefill(this, config, vision, projector, decoder);
    }

    /** Opens {@code dir} (config.json + safetensors, single or sharded); weights stay memory-mapped. */
    public static Llava load(Path dir) {
        return load(dir, LoadOptions.AS_STORED);
    }

    /**
     * Opens {@code dir}, converting the Linear weights to {@code options.weights()} when set (in
     * parallel, with progress); weights that need no conversion stay memory-mapped, or are copied
     * into memory when {@code options.mmap()} is false.
     */
    public static Llava load(Path dir, LoadOptions options) {
        LlavaConfig config = LlavaConfig.load(dir);
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
        Arena arena = null;
        try {
            Path where = dir.toAbsolutePath().normalize();
            if (!options.transformsWeights()) {
                return new Llava(config, checkpoint, new Weights(checkpoint), null, where);
            }
            // A first pass over zero-copy views (cheap) learns how many bytes will be converted or copied, for the progress total.
            Weights counting = Weights.counting(checkpoint, options.weights(), !options.mmap());
            new Llava(config, checkpoint, counting, null, where);
            arena = Arena.ofShared();
            try (Parallel parallel = Parallel.create(options.threads())) {
                Weights converting = new Weights(checkpoint, options.weights(), !options.mmap(), arena, parallel, options.progress(),
                        counting.bytesToConvert());
                return new Llava(config, checkpoint, converting, arena, where);
            }
        } catch (RuntimeException e) {
            if (arena != null) {
                arena.close();
            }
            checkpoint.close();
            throw e;
        }
    }

    /**
     * Reports each vision-tower layer and each prefill decoder layer as it finishes (for progress bars
     * on large models, whose first prefill also pages the weights in). {@link LayerProgress#NONE} to stop.
     */
    public void onProgress(LayerProgress listener) {
        vision.progress = listener;
        decoder.progress = listener;
    }

    public LlavaConfig config() {
        return config;
    }

    /** The language model's decoder (for {@link LanguageModel}). */
    LlamaDecoder decoder() {
        return decoder;
    }

    /** What pruning stages may know of a model with {@code config} in {@code directory} (null: unknown), without loading it. */
    public static ModelShape shapeOf(LlavaConfig config, Path directory) {
        return new ModelShape(config.visionLayersToRun(), config.vision().patches(), config.vision().hiddenSize(), config.text().layers(),
                config.text().hiddenSize(), config.vision().patches() + (config.keepClsFeature() ? 1 : 0),
                directory == null ? null : directory.toAbsolutePath().normalize());
    }

    /** What pruning stages may know of this model (layers, patches, widths, image tokens). */
    public ModelShape shape() {
        return shape;
    }

    /** The pruning plan {@code spec} (e.g. {@code vispruner:keep=64+fastv:k=2,keep=32}) for this model; a bad spec is a one-line ModelException. */
    public PrunePlan plan(String spec) {
        try {
            return PrunePlan.parse(spec, shape);
        } catch (IllegalArgumentException e) {
            throw new ModelException(e.getMessage());
        }
    }

    /** Image features for the language model: [P, textHidden] (P + 1 rows with the "full" strategy). */
    public float[] imageFeatures(float[] pixels, Ops ops, AttentionProbe clsProbe) {
        checkPixels(pixels);
        float[] hidden = vision.forward(pixels, ops, clsProbe);
        int first = config.keepClsFeature() ? 0 : 1;
        return projector.project(hidden, first, config.vision().patches() + 1 - first, ops);
    }

    void checkPixels(float[] pixels) {
        int expected = config.vision().channels() * config.vision().imageSize() * config.vision().imageSize();
        if (pixels.length != expected) {
            throw new ModelException("pixel_values hold " + pixels.length + " floats; the vision tower needs " + expected + " (3 x "
                    + config.vision().imageSize() + " x " + config.vision().imageSize() + ")");
        }
    }

    /**
     * The sequence the language model sees: text embeddings with the image placeholder replaced by
     * the image features. One placeholder is expanded in place (transformers' legacy merge); a
     * prompt that already repeats it once per image row is filled row by row; both give the same.
     */
    public Merged merge(int[] ids, float[] imageFeatures) {
        int h = config.text().hiddenSize();
        int rows = imageFeatures.length / h;
        int placeholders = (int) Arrays.stream(ids).filter(id -> id == config.imageTokenIndex()).count();
        if (placeholders != 1 && placeholders != rows) {
            throw new ModelException("the prompt holds " + placeholders + " image tokens (id " + config.imageTokenIndex()
                    + "); expected 1 or " + rows);
        }
        int length = placeholders == 1 ? ids.length - 1 + rows : ids.length;
        float[] embeddings = new float[length * h];
        int first = -1;
        int row = 0;
        int imageRow = 0;
        for (int id : ids) {
            if (id == config.imageTokenIndex()) {
                int copy = placeholders == 1 ? rows : 1;
                if (first < 0) {
                    first = row;
                }
                System.arraycopy(imageFeatures, imageRow * h, embeddings, row * h, copy * h);
                imageRow += copy;
                row += copy;
            } else {
                decoder.embed(new int[] {id}, embeddings, row);
                row++;
            }
        }
        return new Merged(embeddings, length, first, rows);
    }

    /** Length of the merged prompt for {@code ids} without any pruning (one placeholder expands to every image row). */
    public int unprunedPromptLength(int[] ids) {
        int rows = config.vision().patches() + (config.keepClsFeature() ? 1 : 0);
        long placeholders = Arrays.stream(ids).filter(id -> id == config.imageTokenIndex()).count();
        return placeholders == 1 ? ids.length - 1 + rows : ids.length;
    }

    /** A merged sequence: embeddings [length, hidden] with the image rows starting at {@code imageStart}. */
    public record Merged(float[] embeddings, int length, int imageStart, int imageRows) {}

    /**
     * Result of {@link #generate}: logits of every prompt position (of the last one only from {@link #start}), the new tokens, each step's
     * logits, wall time per phase (image = vision tower + projector; prefill; decode), and what the
     * pruning plan did: one {@link StageResult} per stage (its cuts, kept original indices, scores),
     * the rows each CLIP layer and each LLM layer ran on, the rows the projector saw;
     * {@code lastLayerPositions} are the position ids the last decoder layer gave the prompt rows;
     * {@code visualTokensTotal} is the image's visual tokens before any pruning, {@code visualTokensKept} the
     * visual rows (original or merged) that reach the last LLM layer.
     */
    public record Generation(float[] promptLogits, int promptLength, int[] newTokens, float[] stepLogits, long imageNanos,
                             long prefillNanos, long decodeNanos, List<StageResult> stages, int[] visionTokensPerLayer, int projectedRows,
                             int[] llmTokensPerLayer, int[] lastLayerPositions, int visualTokensTotal, int visualTokensKept) {}

    /** Called with each new token as soon as it is chosen (streaming). */
    public interface TokenListener {
        void accept(int step, int token);
    }

    /** Prefill the merged prompt, then greedy decoding with the KV cache for {@code maxNewTokens} steps (no early stop). */
    public Generation generate(float[] pixels, int[] ids, int maxNewTokens, Ops ops) {
        return generate(pixels, ids, maxNewTokens, Sampler.greedy(), new int[0], (step, token) -> { }, PrunePlan.NONE, ops);
    }

    /** As {@link #generate(float[], int[], int, Sampler, int[], TokenListener, PrunePlan, Ops)} without pruning. */
    public Generation generate(float[] pixels, int[] ids, int maxNewTokens, Sampler sampler, int[] stopTokens, TokenListener listener,
                               Ops ops) {
        return generate(pixels, ids, maxNewTokens, sampler, stopTokens, listener, PrunePlan.NONE, ops);
    }

    /**
     * Prefill, then decode with the KV cache: each step's token comes from {@code sampler}, goes to
     * {@code listener}, and decoding stops after {@code maxNewTokens} or right after a token in
     * {@code stopTokens} (which is kept in the result, as transformers does with eos).
     */
    public Generation generate(float[] pixels, int[] ids, int maxNewTokens, Sampler sampler, int[] stopTokens, TokenListener listener,
                               PrunePlan plan, Ops ops) {
        Prefill.Result p = prefill.run(pixels, ids, maxNewTokens, plan, true, ops);
        try (KvCache cache = p.cache()) {
            LlavaConfig.Text t = config.text();
            int vocab = t.vocabSize();
            long t2 = System.nanoTime();
            int[] tokens = new int[maxNewTokens];
            float[] stepLogits = new float[maxNewTokens * vocab];
            float[] last = lastLogits(p);
            float[] row = new float[t.hiddenSize()];
            int produced = 0;
            while (produced < maxNewTokens) {
                System.arraycopy(last, 0, stepLogits, produced * vocab, vocab);
                int token = sampler.next(last);
                tokens[produced] = token;
                listener.accept(produced, token);
                produced++;
                if (produced == maxNewTokens || Arrays.stream(stopTokens).anyMatch(stop -> stop == token)) {
                    break;
                }
                decoder.embed(token, row, 0);
                // Each layer continues its own numbering (KvCache.nextPosition), gaps left by pruning included.
                decoder.forward(row, 1, null, cache, ops, 0, decoder.layers(), null);
                decoder.logits(row, 0, 1, last, ops); // last is this generation's own copy, already saved in stepLogits
            }
            return generation(p, Arrays.copyOf(tokens, produced), Arrays.copyOf(stepLogits, produced * vocab), System.nanoTime() - t2);
        }
    }

    /** One request of a batch: its image, prompt ids, pruning (each sample prunes its own tokens) and sampler. */
    public record Request(float[] pixels, int[] ids, PrunePlan plan, Sampler sampler) {}

    /**
     * Several requests at once: each is prefilled on its own (with its own pruning, so prompt lengths and
     * KV caches differ), then all decode together — one pass over the weights per step for the whole
     * batch, attention per sample over its own cache. Results equal {@link #generate} per request up to
     * float summation order; a finished sample leaves the batch. Each result's decode time is the batch's.
     */
    public List<Generation> generateBatch(List<Request> requests, int maxNewTokens, int[] stopTokens, Ops ops) {
        int n = requests.size();
        Prefill.Result[] prefilled = new Prefill.Result[n];
        try {
            for (int b = 0; b < n; b++) {
                Request r = requests.get(b);
                prefilled[b] = prefill.run(r.pixels(), r.ids(), maxNewTokens, r.plan(), true, ops);
            }
            LlavaConfig.Text t = config.text();
            int vocab = t.vocabSize();
            long t2 = System.nanoTime();
            int[][] tokens = new int[n][maxNewTokens];
            float[][] stepLogits = new float[n][maxNewTokens * vocab];
            float[][] last = new float[n][];
            int[] produced = new int[n];
            for (int b = 0; b < n; b++) {
                last[b] = lastLogits(prefilled[b]);
            }
            boolean[] done = new boolean[n];
            float[] rowsOfAll = new float[n * t.hiddenSize()];
            float[] logits = new float[n * vocab];
            while (true) {
                List<Integer> active = new ArrayList<>();
                for (int b = 0; b < n; b++) {
                    if (done[b]) {
                        continue;
                    }
                    System.arraycopy(last[b], 0, stepLogits[b], produced[b] * vocab, vocab);
                    int token = requests.get(b).sampler().next(last[b]);
                    tokens[b][produced[b]++] = token;
                    if (produced[b] == maxNewTokens || Arrays.stream(stopTokens).anyMatch(stop -> stop == token)) {
                        done[b] = true;
                    } else {
                        active.add(b);
                    }
                }
                if (active.isEmpty()) {
                    break;
                }
                float[] rows = rowsOfAll;
                KvCache[] caches = new KvCache[active.size()];
                int[] positions = new int[active.size()];
                for (int i = 0; i < active.size(); i++) {
                    int b = active.get(i);
                    decoder.embed(tokens[b][produced[b] - 1], rows, i);
                    caches[i] = prefilled[b].cache();
                    positions[i] = -1;  // each layer continues its own numbering (KvCache.nextPosition)
                }
                decoder.decodeStep(rows, caches, positions, ops);
                decoder.logits(rows, 0, active.size(), logits, ops);
                for (int i = 0; i < active.size(); i++) {
                    System.arraycopy(logits, i * vocab, last[active.get(i)], 0, vocab); // each sample's own array, saved in stepLogits
                }
            }
            long decodeNanos = System.nanoTime() - t2;
            List<Generation> out = new ArrayList<>(n);
            for (int b = 0; b < n; b++) {
                out.add(generation(prefilled[b], Arrays.copyOf(tokens[b], produced[b]),
                        Arrays.copyOf(stepLogits[b], produced[b] * vocab), decodeNanos));
            }
            return out;
        } finally {
            for (Prefill.Result p : prefilled) {
                if (p != null) {
                    p.cache().close();
                }
            }
        }
    }

    /**
     * Prefills one request and returns it as a {@link Sequence} that {@link Sequence#step} decodes token by token, so
     * a scheduler can let requests join and leave a running batch (continuous batching). The caller closes it.
     * lm_head runs on the last prompt row only: the generation's {@code promptLogits} hold that row alone.
     */
    public Sequence start(Request request, int maxNewTokens, Ops ops) {
        Prefill.Result p = prefill.run(request.pixels(), request.ids(), maxNewTokens, request.plan(), false, ops);
        return new Sequence(decoder, p.cache(), lastLogits(p), request.sampler(), maxNewTokens, false, 0, config.text().vocabSize(),
                config.text().hiddenSize(), (tokens, logits, nanos) -> generation(p, tokens, logits, nanos));
    }

    private float[] lastLogits(Prefill.Result p) {
        int vocab = config.text().vocabSize();
        int row = p.promptLogits().length / vocab - 1;
        return Arrays.copyOfRange(p.promptLogits(), row * vocab, (row + 1) * vocab);
    }

    private static Generation generation(Prefill.Result p, int[] tokens, float[] stepLogits, long decodeNanos) {
        return new Generation(p.promptLogits(), p.rows(), tokens, stepLogits, p.imageNanos(), p.prefillNanos(), decodeNanos, p.stages(),
                p.visionTokensPerLayer(), p.projectedRows(), p.llmTokensPerLayer(), p.lastPositions(), p.visualTotal(), p.visualKept());
    }

    /** Index of the largest value; the first one on ties, as torch.argmax. */
    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public void close() {
        checkpoint.close();
        if (convertedWeights != null) {
            convertedWeights.close();
        }
    }
}
