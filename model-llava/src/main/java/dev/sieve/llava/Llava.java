package dev.sieve.llava;

import dev.sieve.kernels.AttentionProbe;
import dev.sieve.kernels.Parallel;
import dev.sieve.pruning.LayerMethod;
import dev.sieve.pruning.PyramidDrop;
import dev.sieve.pruning.SparseVlm;
import dev.sieve.pruning.TopK;
import dev.sieve.pruning.VisionZip;
import dev.sieve.pruning.VisionMethod;
import dev.sieve.pruning.VisionSignals;
import dev.sieve.runtime.KvCache;
import dev.sieve.runtime.Ops;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;

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

    /** Memory of weights converted at load (null when none were): freed by {@link #close}. */
    private final Arena convertedWeights;

    private Llava(LlavaConfig config, SafetensorsCheckpoint checkpoint, Weights weights, Arena convertedWeights) {
        this.config = config;
        this.checkpoint = checkpoint;
        this.convertedWeights = convertedWeights;
        this.vision = new ClipVisionTower(config.vision(), config.visionLayersToRun(), weights);
        this.projector = new Projector(config, weights);
        this.decoder = new LlamaDecoder(config.text(), weights);
    }

    /** Opens {@code dir} (config.json + safetensors, single or sharded); weights stay memory-mapped. */
    public static Llava load(Path dir) {
        return load(dir, LoadOptions.AS_STORED);
    }

    /**
     * Opens {@code dir}, converting the Linear weights to {@code options.weights()} when set (in
     * parallel, with progress); without a conversion the weights stay memory-mapped.
     */
    public static Llava load(Path dir, LoadOptions options) {
        LlavaConfig config = LlavaConfig.load(dir);
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
        Arena arena = null;
        try {
            if (options.weights() == null) {
                return new Llava(config, checkpoint, new Weights(checkpoint), null);
            }
            // A first pass over zero-copy views (cheap) learns how many bytes will be converted, for the progress total.
            Weights counting = Weights.counting(checkpoint, options.weights());
            new Llava(config, checkpoint, counting, null);
            arena = Arena.ofShared();
            try (Parallel parallel = Parallel.create(options.threads())) {
                Weights converting = new Weights(checkpoint, options.weights(), arena, parallel, options.progress(), counting.bytesToConvert());
                return new Llava(config, checkpoint, converting, arena);
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

    /** Image features for the language model: [P, textHidden] (P + 1 rows with the "full" strategy). */
    public float[] imageFeatures(float[] pixels, Ops ops, AttentionProbe clsProbe) {
        int expected = config.vision().channels() * config.vision().imageSize() * config.vision().imageSize();
        if (pixels.length != expected) {
            throw new ModelException("pixel_values hold " + pixels.length + " floats; the vision tower needs " + expected + " (3 x "
                    + config.vision().imageSize() + " x " + config.vision().imageSize() + ")");
        }
        float[] hidden = vision.forward(pixels, ops, clsProbe);
        int first = config.keepClsFeature() ? 0 : 1;
        return projector.project(hidden, first, config.vision().patches() + 1 - first, ops);
    }

    private record PrunedFeatures(float[] features, int[] kept) {}

    /** VisionZip's dominant + contextual tokens from the feature layer (with [CLS]), its [CLS] attention and its keys. */
    private VisionZip.Result visionZip(float[] pixels, Ops ops, VisionZip zip) {
        if (config.keepClsFeature()) {
            throw new ModelException("VisionZip needs vision_feature_select_strategy \"default\"");
        }
        int patches = config.vision().patches();
        AttentionProbe cls = AttentionProbe.of(new int[] {0}, patches + 1);
        float[] keys = new float[(patches + 1) * config.vision().headDim()];
        float[] hidden = vision.forward(pixels, ops, cls, keys);
        float[] clsToPatches = Arrays.copyOfRange(cls.mean(), 1, patches + 1);
        try {
            return zip.apply(hidden, config.vision().hiddenSize(), clsToPatches, keys, config.vision().headDim());
        } catch (IllegalArgumentException e) {
            throw new ModelException(e.getMessage());
        }
    }

    /**
     * Image features of the visual tokens a vision-side method keeps: VISION-stage methods choose
     * from the feature layer's output and [CLS] attention, and only the kept rows go through the
     * projector; PROJECTED-stage methods choose from the projected rows.
     */
    private PrunedFeatures prunedImageFeatures(float[] pixels, Ops ops, VisionMethod method) {
        if (config.keepClsFeature()) {
            throw new ModelException("vision-side pruning needs vision_feature_select_strategy \"default\" (patch tokens only)");
        }
        int patches = config.vision().patches();
        if (method.keep() > patches) {
            throw new ModelException("cannot keep " + method.keep() + " of " + patches + " visual tokens");
        }
        AttentionProbe cls = AttentionProbe.of(new int[] {0}, patches + 1);
        float[] hidden = vision.forward(pixels, ops, cls);
        float[] clsToPatches = Arrays.copyOfRange(cls.mean(), 1, patches + 1);
        int hv = config.vision().hiddenSize();
        int ht = config.text().hiddenSize();
        if (method.stage() == VisionMethod.Stage.VISION) {
            float[] patchRows = Arrays.copyOfRange(hidden, hv, (patches + 1) * hv);
            int[] kept = method.select(new VisionSignals(clsToPatches, patchRows, hv));
            float[] keptRows = compactRows(patchRows, kept, hv);
            return new PrunedFeatures(projector.project(keptRows, 0, kept.length, ops), kept);
        }
        float[] projected = projector.project(hidden, 1, patches, ops);
        int[] kept = method.select(new VisionSignals(clsToPatches, projected, ht));
        return new PrunedFeatures(compactRows(projected, kept, ht), kept);
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
     * Result of {@link #generate}: logits of every prompt position, the new tokens, each step's
     * logits, and wall time per phase (image = vision tower + projector; prefill; decode);
     * {@code lastLayerPositions} are the position ids the last decoder layer gave the prompt rows;
     * {@code visualTokensTotal} is the image's visual tokens before any pruning, {@code visualTokensKept} the
     * visual rows (original or merged) that reach the last LLM layer.
     */
    public record Generation(float[] promptLogits, int promptLength, int[] newTokens, float[] stepLogits, long imageNanos,
                             long prefillNanos, long decodeNanos, int[] visionKept, Pruned pruned, java.util.List<DropStage> dropStages,
                             VisionZip.Result zip, int[] lastLayerPositions, int visualTokensTotal,
                             int visualTokensKept) {

        /** One pruning stage's outcome: the image tokens still present after it, as sorted indices among the original ones. */
        public record Stage(String name, int[] kept) {}

        /**
         * The stages in the order they applied (vision side first, then the LLM-side cut or PyramidDrop's
         * drops); empty without pruning. VisionZip reports its dominant tokens (its contextual tokens are
         * merges of the rest, not original tokens).
         */
        public java.util.List<Stage> stages() {
            java.util.List<Stage> stages = new java.util.ArrayList<>();
            int[] base = null;
            if (visionKept != null) {
                base = visionKept;
                stages.add(new Stage("vision", visionKept));
            }
            if (zip != null) {
                stages.add(new Stage("visionzip dominant", zip.dominantIndices().clone()));
            }
            final int[] original = base;
            // Negative ids are SparseVLM's merged tokens: not original tokens, so not listed.
            java.util.function.Function<int[], int[]> toOriginal =
                    local -> Arrays.stream(local).filter(i -> i >= 0).map(i -> original == null ? i : original[i]).sorted().toArray();
            if (pruned != null && pruned.firstStageKept() != null) {
                stages.add(new Stage("llm", toOriginal.apply(pruned.firstStageKept())));
                stages.add(new Stage("llm stage 2", toOriginal.apply(pruned.keptImageIndices())));
            } else if (pruned != null) {
                stages.add(new Stage("llm", toOriginal.apply(pruned.keptImageIndices())));
            }
            if (dropStages != null) {
                for (int i = 0; i < dropStages.size(); i++) {
                    stages.add(new Stage("llm drop " + (i + 1), toOriginal.apply(dropStages.get(i).kept())));
                }
            }
            return stages;
        }
    }

    /**
     * The pruning to apply (null parts are off): a vision-side method or VisionZip, then one LLM-side
     * method — a single cut at a layer (FastV, IVTP) or PyramidDrop's stages.
     */
    public record Pruning(VisionMethod vision, LayerMethod layerMethod, PyramidDrop pyramidDrop, VisionZip visionZip, PositionRule positions,
                          SparseVlm sparseVlm) {
        public static final Pruning NONE = new Pruning(null, null, null, null);

        public Pruning(VisionMethod vision, LayerMethod layerMethod) {
            this(vision, layerMethod, null, null);
        }

        public Pruning(VisionMethod vision, LayerMethod layerMethod, PyramidDrop pyramidDrop) {
            this(vision, layerMethod, pyramidDrop, null);
        }

        public Pruning(VisionMethod vision, LayerMethod layerMethod, PyramidDrop pyramidDrop, VisionZip visionZip) {
            this(vision, layerMethod, pyramidDrop, visionZip, PositionRule.METHOD);
        }

        public Pruning(VisionMethod vision, LayerMethod layerMethod, PyramidDrop pyramidDrop, VisionZip visionZip, PositionRule positions) {
            this(vision, layerMethod, pyramidDrop, visionZip, positions, null);
        }

        public Pruning {
            if (sparseVlm != null && (layerMethod != null || pyramidDrop != null)) {
                throw new ModelException("SparseVLM prunes inside the LLM; combine it with a vision-side method only");
            }
            if (sparseVlm != null && positions == PositionRule.ORIGINAL) {
                throw new ModelException("positions=original is not supported with SparseVLM, whose recycled tokens are merges");
            }
            if (positions == PositionRule.ORIGINAL && visionZip != null) {
                throw new ModelException("positions=original is not supported with VisionZip, whose contextual tokens are merges with no original position");
            }
            if (layerMethod != null && pyramidDrop != null) {
                throw new ModelException(layerMethod + " and PyramidDrop both prune inside the LLM; choose one");
            }
            if (vision != null && visionZip != null) {
                throw new ModelException("choose one vision-side method");
            }
        }
    }

    /**
     * Position ids after pruning: each method's own rule (FastV and IVTP keep the original ids;
     * vision-side methods, VisionZip and PyramidDrop re-index), or an override for every stage.
     */
    public enum PositionRule { METHOD, ORIGINAL, REINDEX }

    /** What PyramidDrop did at each stage: the candidates (patch indices, raster order), their scores, the kept ones. */
    public record DropStage(int[] candidates, float[] scores, int[] kept) {}

    /**
     * What an LLM-side pruning step did: the image tokens kept at the end (sorted) and the original positions
     * of the rows that went on, the first cut's scores, and — for a two-stage schedule — the image tokens
     * kept by the first cut (null for one cut).
     */
    public record Pruned(int[] keptImageIndices, int[] keptPositions, float[] scores, int[] firstStageKept) {
        public Pruned(int[] keptImageIndices, int[] keptPositions, float[] scores) {
            this(keptImageIndices, keptPositions, scores, null);
        }
    }

    /** Called with each new token as soon as it is chosen (streaming). */
    public interface TokenListener {
        void accept(int step, int token);
    }

    /** Prefill the merged prompt, then greedy decoding with the KV cache for {@code maxNewTokens} steps (no early stop). */
    public Generation generate(float[] pixels, int[] ids, int maxNewTokens, Ops ops) {
        return generate(pixels, ids, maxNewTokens, Sampler.greedy(), new int[0], (step, token) -> { }, Pruning.NONE, ops);
    }

    /** As {@link #generate(float[], int[], int, Sampler, int[], TokenListener, Pruning, Ops)} without pruning. */
    public Generation generate(float[] pixels, int[] ids, int maxNewTokens, Sampler sampler, int[] stopTokens, TokenListener listener,
                               Ops ops) {
        return generate(pixels, ids, maxNewTokens, sampler, stopTokens, listener, Pruning.NONE, ops);
    }

    /**
     * Prefill, then decode with the KV cache: each step's token comes from {@code sampler}, goes to
     * {@code listener}, and decoding stops after {@code maxNewTokens} or right after a token in
     * {@code stopTokens} (which is kept in the result, as transformers does with eos).
     */
    public Generation generate(float[] pixels, int[] ids, int maxNewTokens, Sampler sampler, int[] stopTokens, TokenListener listener,
                               Pruning pruning, Ops ops) {
        Prefilled p = prefill(pixels, ids, maxNewTokens, pruning, ops);
        try (KvCache cache = p.cache()) {
            LlavaConfig.Text t = config.text();
            int vocab = t.vocabSize();
            long t2 = System.nanoTime();
            int[] tokens = new int[maxNewTokens];
            float[] stepLogits = new float[maxNewTokens * vocab];
            float[] last = p.lastLogits();
            float[] row = new float[t.hiddenSize()];
            int[] position = new int[1];
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
                position[0] = p.nextPosition() + produced - 1;
                decoder.forward(row, 1, p.sharedDecodePositions() ? position : null, cache, ops, 0, decoder.layers(), null);
                decoder.logits(row, 0, 1, last, ops); // last is this generation's own copy, already saved in stepLogits
            }
            return p.generation(Arrays.copyOf(tokens, produced), Arrays.copyOf(stepLogits, produced * vocab), System.nanoTime() - t2);
        }
    }

    /** One request of a batch: its image, prompt ids, pruning (each sample prunes its own tokens) and sampler. */
    public record Request(float[] pixels, int[] ids, Pruning pruning, Sampler sampler) {}

    /**
     * Several requests at once: each is prefilled on its own (with its own pruning, so prompt lengths and
     * KV caches differ), then all decode together — one pass over the weights per step for the whole
     * batch, attention per sample over its own cache. Results equal {@link #generate} per request up to
     * float summation order; a finished sample leaves the batch. Each result's decode time is the batch's.
     */
    public java.util.List<Generation> generateBatch(java.util.List<Request> requests, int maxNewTokens, int[] stopTokens, Ops ops) {
        int n = requests.size();
        Prefilled[] prefilled = new Prefilled[n];
        try {
            for (int b = 0; b < n; b++) {
                Request r = requests.get(b);
                prefilled[b] = prefill(r.pixels(), r.ids(), maxNewTokens, r.pruning(), ops);
            }
            LlavaConfig.Text t = config.text();
            int vocab = t.vocabSize();
            long t2 = System.nanoTime();
            int[][] tokens = new int[n][maxNewTokens];
            float[][] stepLogits = new float[n][maxNewTokens * vocab];
            float[][] last = new float[n][];
            int[] produced = new int[n];
            for (int b = 0; b < n; b++) {
                last[b] = prefilled[b].lastLogits();
            }
            boolean[] done = new boolean[n];
            float[] rowsOfAll = new float[n * t.hiddenSize()];
            float[] logits = new float[n * vocab];
            while (true) {
                java.util.List<Integer> active = new java.util.ArrayList<>();
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
                    positions[i] = prefilled[b].sharedDecodePositions() ? prefilled[b].nextPosition() + produced[b] - 1 : -1;
                }
                decoder.decodeStep(rows, caches, positions, ops);
                decoder.logits(rows, 0, active.size(), logits, ops);
                for (int i = 0; i < active.size(); i++) {
                    System.arraycopy(logits, i * vocab, last[active.get(i)], 0, vocab); // each sample's own array, saved in stepLogits
                }
            }
            long decodeNanos = System.nanoTime() - t2;
            java.util.List<Generation> out = new java.util.ArrayList<>(n);
            for (int b = 0; b < n; b++) {
                out.add(prefilled[b].generation(Arrays.copyOf(tokens[b], produced[b]),
                        Arrays.copyOf(stepLogits[b], produced[b] * vocab), decodeNanos));
            }
            return out;
        } finally {
            for (Prefilled p : prefilled) {
                if (p != null) {
                    p.cache().close();
                }
            }
        }
    }

    /** A prefilled prompt: its KV cache (the caller closes it), logits, and how decoding continues its positions. */
    private record Prefilled(KvCache cache, float[] promptLogits, int rows, boolean sharedDecodePositions, int nextPosition,
                             int[] visionKept, Pruned pruned, java.util.List<DropStage> dropStages, VisionZip.Result zip,
                             int[] lastPositions, long imageNanos, long prefillNanos, int vocab, int visualTotal, int visualKept) {
        float[] lastLogits() {
            return Arrays.copyOfRange(promptLogits, (rows - 1) * vocab, rows * vocab);
        }

        Generation generation(int[] tokens, float[] stepLogits, long decodeNanos) {
            return new Generation(promptLogits, rows, tokens, stepLogits, imageNanos, prefillNanos, decodeNanos, visionKept, pruned,
                    dropStages, zip, lastPositions, visualTotal, visualKept);
        }
    }

    private Prefilled prefill(float[] pixels, int[] ids, int maxNewTokens, Pruning pruning, Ops ops) {
        if (maxNewTokens < 1) {
            throw new ModelException("max new tokens must be >= 1, got " + maxNewTokens);
        }
        long t0 = System.nanoTime();
        LayerMethod fastv = pruning.layerMethod();
        int[] visionKept = null;
        float[] features;
        VisionZip.Result zip = null;
        if (pruning.visionZip() != null) {
            zip = visionZip(pixels, ops, pruning.visionZip());
            int dim = config.vision().hiddenSize();
            features = projector.project(zip.tokens(), 0, zip.tokens().length / dim, ops);
            visionKept = java.util.stream.IntStream.concat(Arrays.stream(zip.dominantIndices()), Arrays.stream(zip.targetIndices()))
                    .sorted().toArray();
        } else if (pruning.vision() == null) {
            features = imageFeatures(pixels, ops, null);
        } else {
            PrunedFeatures p = prunedImageFeatures(pixels, ops, pruning.vision());
            features = p.features();
            visionKept = p.kept();
        }
        Merged merged = merge(ids, features);
        long t1 = System.nanoTime();
        LlavaConfig.Text t = config.text();
        int s = merged.length();
        if (s + maxNewTokens > t.maxPositions()) {
            throw new ModelException("prompt of " + s + " positions + " + maxNewTokens + " new tokens exceeds max_position_embeddings "
                    + t.maxPositions());
        }
        KvCache cache = new KvCache(decoder.layers(), t.kvHeads(), t.headDim(), s + maxNewTokens);
        try {
            float[] x = merged.embeddings();
            // Vision-side pruning re-indexes (rows 0..s-1) unless the original ids are asked for: then each kept
            // image token keeps its raster position and the text after the image its unpruned offset.
            boolean originalVisionIds = pruning.positions() == PositionRule.ORIGINAL && visionKept != null;
            int[] positions = originalVisionIds ? unprunedPositions(merged, visionKept, config.vision().patches()) : continuingFrom(0, s);
            int nextPosition = originalVisionIds ? positions[s - 1] + 1 : s;
            boolean reindexAfterCut = fastv != null && pruning.positions() == PositionRule.REINDEX;
            boolean pdropOriginal = pruning.pyramidDrop() != null && pruning.positions() == PositionRule.ORIGINAL;
            Pruned pruned = null;
            java.util.List<DropStage> dropStages = null;
            int rows = s;
            int[] lastPositions = positions;
            if (pruning.pyramidDrop() != null || pruning.sparseVlm() != null) {
                dropStages = new java.util.ArrayList<>();
                float[][] xHolder = {x};
                // PyramidDrop re-indexes after each drop as its reference does; positions=original keeps each row's id.
                int[][] pdropPositions = {pdropOriginal ? positions : null};
                rows = pruning.pyramidDrop() != null ? pyramidDrop(pruning.pyramidDrop(), merged, xHolder, pdropPositions, cache, ops, dropStages)
                        : sparseVlm(pruning.sparseVlm(), merged, xHolder, cache, ops, dropStages);
                x = xHolder[0];
                lastPositions = pdropOriginal ? pdropPositions[0] : continuingFrom(0, rows);
            } else if (fastv == null) {
                decoder.forward(x, s, positions, cache, ops);
            } else {
                pruned = pruneAtLayer(fastv, merged, x, positions, cache, ops);
                x = compactRows(x, pruned.keptPositions(), t.hiddenSize());
                rows = pruned.keptPositions().length;
                lastPositions = reindexAfterCut ? continuingFrom(0, rows) : gather(positions, pruned.keptPositions());
                int resume = fastv.layer();
                if (fastv.secondLayer() > 0) {
                    // Progressive schedule: layers [K, K2) on the first cut, ranked again by layer K2-1, cut again.
                    int imageRows = pruned.keptImageIndices().length;
                    int[] queries = fastv.queryRows(rows, merged.imageStart(), imageRows);
                    AttentionProbe probe = AttentionProbe.of(queries, rows);
                    decoder.forward(x, rows, reindexAfterCut ? null : lastPositions, cache, ops, fastv.layer(), fastv.secondLayer(), probe);
                    float[] scores = meanAttention(probe, queries.length, rows, merged.imageStart(), imageRows);
                    int[] keptLocal = TopK.largestSorted(scores, fastv.secondKeep());
                    int[] keepRows = rowsKeeping(rows, merged.imageStart(), imageRows, keptLocal);
                    x = compactRows(x, keepRows, t.hiddenSize());
                    lastPositions = reindexAfterCut ? continuingFrom(0, keepRows.length) : gather(lastPositions, keepRows);
                    pruned = new Pruned(gather(pruned.keptImageIndices(), keptLocal), gather(pruned.keptPositions(), keepRows), pruned.scores(),
                            pruned.keptImageIndices());
                    rows = keepRows.length;
                    resume = fastv.secondLayer();
                }
                decoder.forward(x, rows, reindexAfterCut ? null : lastPositions, cache, ops, resume, decoder.layers(), null);
            }
            // Decode positions: one shared numbering when the prompt kept original ids (FastV/IVTP by default, or
            // positions=original); otherwise each layer continues after its own cached prompt.
            boolean sharedDecodePositions = (fastv != null && !reindexAfterCut) || originalVisionIds || pdropOriginal;
            float[] promptLogits = decoder.logits(x, 0, rows, ops);
            return new Prefilled(cache, promptLogits, rows, sharedDecodePositions, nextPosition, visionKept, pruned, dropStages, zip,
                    lastPositions, t1 - t0, System.nanoTime() - t1, t.vocabSize(),
                    config.vision().patches() + (config.keepClsFeature() ? 1 : 0), rows - (s - merged.imageRows()));
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
    }

    /**
     * FastV / IVTP at prefill: layers below K on the whole prompt, with the attention of the
     * method's query rows in layer K-1 probed (mean over heads, then over the rows); the image
     * tokens they attend to most are kept. Returns the kept rows' original positions, which stay
     * their position ids in the later layers.
     */
    private Pruned pruneAtLayer(LayerMethod method, Merged merged, float[] x, int[] positions, KvCache cache, Ops ops) {
        int s = merged.length();
        if (method.layer() >= decoder.layers()) {
            throw new ModelException(method + ": k must be below the " + decoder.layers() + " LLM layers");
        }
        if (method.keep() > merged.imageRows()) {
            throw new ModelException(method + ": keep is more than the " + merged.imageRows() + " image tokens");
        }
        int[] queries = method.queryRows(s, merged.imageStart(), merged.imageRows());
        float[] scores = new float[merged.imageRows()];
        double weightSum = java.util.Arrays.stream(method.scoreWeights()).sum();
        int from = 0;
        // Run the layers in segments ending at each scoring layer, so every probe is taken in the same pass.
        for (int l = 0; l < method.scoreLayers().length; l++) {
            int layer = method.scoreLayers()[l];
            AttentionProbe probe = AttentionProbe.of(queries, s);
            decoder.forward(x, s, positions, cache, ops, from, layer + 1, probe);
            from = layer + 1;
            float[] layerScores = meanAttention(probe, queries.length, s, merged.imageStart(), scores.length);
            float w = (float) (method.scoreWeights()[l] / weightSum);
            for (int j = 0; j < scores.length; j++) {
                scores[j] += w * layerScores[j];
            }
        }
        if (from < method.layer()) {
            decoder.forward(x, s, positions, cache, ops, from, method.layer(), null);
        }
        int[] kept = method.select(scores);
        return new Pruned(kept, rowsKeeping(s, merged.imageStart(), merged.imageRows(), kept), scores);
    }

    /**
     * The probed query rows' attention (already averaged over heads) to keys [first, first + count), averaged
     * over the {@code queries} rows: the score FastV, IVTP and SparseVLM rank visual tokens by.
     */
    private static float[] meanAttention(AttentionProbe probe, int queries, int keys, int first, int count) {
        float[] scores = new float[count];
        for (int q = 0; q < queries; q++) {
            for (int j = 0; j < count; j++) {
                scores[j] += probe.mean()[q * keys + first + j];
            }
        }
        for (int j = 0; j < count; j++) {
            scores[j] /= queries;
        }
        return scores;
    }

    /** {@code values[at[0]], values[at[1]], ...}: what the kept rows (or tokens) carried. */
    private static int[] gather(int[] values, int[] at) {
        int[] out = new int[at.length];
        for (int i = 0; i < at.length; i++) {
            out[i] = values[at[i]];
        }
        return out;
    }

    private static int[] continuingFrom(int start, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = start + i;
        }
        return p;
    }

    /** Position ids of the merged rows in the unpruned prompt: kept image token k sits at imageStart + k, text after it past all P. */
    private static int[] unprunedPositions(Merged merged, int[] visionKept, int patches) {
        int[] p = new int[merged.length()];
        int start = merged.imageStart();
        for (int i = 0; i < merged.length(); i++) {
            p[i] = i < start ? i : i < start + merged.imageRows() ? start + visionKept[i - start] : i - merged.imageRows() + patches;
        }
        return p;
    }

    /** Rows of a sequence that keeps its text and, of the image rows [imageStart, imageStart + imageRows), only {@code kept}. */
    private static int[] rowsKeeping(int length, int imageStart, int imageRows, int[] kept) {
        int[] rows = new int[length - imageRows + kept.length];
        int n = 0;
        for (int i = 0; i < imageStart; i++) {
            rows[n++] = i;
        }
        for (int k : kept) {
            rows[n++] = imageStart + k;
        }
        for (int i = imageStart + imageRows; i < length; i++) {
            rows[n++] = i;
        }
        return rows;
    }

    /**
     * PyramidDrop at prefill: the layers of each stage run on the current sequence; before each drop
     * layer the last token's attention (as that layer would compute it) ranks the image tokens still
     * present, the kept ones stay in raster order and positions restart at 0 (as in the reference),
     * or, when {@code positions[0]} holds the rows' position ids (positions=original), each kept row
     * keeps its id and {@code positions[0]} is narrowed with the rows. Returns the final row count;
     * the final rows are left in {@code x[0]}.
     */
    private int pyramidDrop(PyramidDrop pd, Merged merged, float[][] x, int[][] positions, KvCache cache, Ops ops,
                            java.util.List<DropStage> stages) {
        int patches = merged.imageRows();
        int pos = merged.imageStart();
        int n = merged.length();
        int[] candidates = java.util.stream.IntStream.range(0, patches).toArray();
        int h = config.text().hiddenSize();
        int from = 0;
        for (int stage = 0; stage < pd.layers().length; stage++) {
            int layer = pd.layers()[stage];
            if (layer >= decoder.layers()) {
                throw new ModelException("PyramidDrop layer " + layer + " is beyond the " + decoder.layers() + " LLM layers");
            }
            decoder.forward(x[0], n, positions[0], cache, ops, from, layer, null);
            float[] attention = decoder.lastRowAttention(x[0], n, layer, positions[0], ops);
            float[] scores = Arrays.copyOfRange(attention, pos, pos + candidates.length);
            int[] keptLocal = pd.select(stage, scores, patches);
            int[] keepRows = rowsKeeping(n, pos, candidates.length, keptLocal);
            int[] kept = gather(candidates, keptLocal);
            stages.add(new DropStage(candidates, scores, kept));
            x[0] = compactRows(x[0], keepRows, h);
            if (positions[0] != null) {
                positions[0] = gather(positions[0], keepRows);
            }
            n = keepRows.length;
            candidates = kept;
            from = layer;
        }
        decoder.forward(x[0], n, positions[0], cache, ops, from, decoder.layers(), null);
        return n;
    }

    /**
     * SparseVLM at prefill (see {@link SparseVlm}): raters from the input embeddings, then at each pruning
     * layer L the layer runs with its raters' attention probed, the visual tokens are cut to the top
     * count, the best 30% of the pruned ones are merged by DPC-kNN and inserted after the kept ones, and
     * layer L+1 on runs on the shorter sequence with re-indexed positions. Visual tokens carry their
     * original index, or -1-j for the j-th merged token, in the stages' candidates and kept lists.
     */
    private int sparseVlm(SparseVlm sv, Merged merged, float[][] x, KvCache cache, Ops ops, java.util.List<DropStage> stages) {
        int h = config.text().hiddenSize();
        int start = merged.imageStart();
        int visual = merged.imageRows();
        int n = merged.length();
        int textRows = n - start - visual;
        int[] raters = textRows == 0 ? new int[] {-1} : SparseVlm.raters(Arrays.copyOfRange(merged.embeddings(), start * h, (start + visual) * h),
                visual, Arrays.copyOfRange(merged.embeddings(), (start + visual) * h, n * h), textRows, h);
        int[] ids = continuingFrom(0, visual);
        int mergedCount = 0;
        int from = 0;
        for (int stage = 0; stage < sv.layers().length; stage++) {
            int layer = sv.layers()[stage];
            if (layer >= decoder.layers() - 1) {
                throw new ModelException("SparseVLM layer " + layer + " must be below the last of the " + decoder.layers() + " LLM layers");
            }
            int textStart = start + visual;
            int[] queries = Arrays.stream(raters).map(r -> textStart + r).toArray();  // -1 (no text): the last row
            AttentionProbe probe = AttentionProbe.of(queries, n);
            decoder.forward(x[0], n, null, cache, ops, from, layer + 1, probe);
            float[] scores = meanAttention(probe, queries.length, n, start, visual);
            int[] keptLocal = sv.select(stage, scores);
            int[] recycle = SparseVlm.recycled(scores, keptLocal);
            float[] mergedRows = new float[0];
            if (recycle.length > 0) {
                float[] rows = new float[recycle.length * h];
                for (int i = 0; i < recycle.length; i++) {
                    System.arraycopy(x[0], (start + recycle[i]) * h, rows, i * h, h);
                }
                mergedRows = SparseVlm.merge(rows, recycle.length, h);
            }
            int newMerged = mergedRows.length / h;
            float[] next = new float[(n - visual + keptLocal.length + newMerged) * h];
            System.arraycopy(x[0], 0, next, 0, start * h);
            for (int i = 0; i < keptLocal.length; i++) {
                System.arraycopy(x[0], (start + keptLocal[i]) * h, next, (start + i) * h, h);
            }
            System.arraycopy(mergedRows, 0, next, (start + keptLocal.length) * h, mergedRows.length);
            System.arraycopy(x[0], (start + visual) * h, next, (start + keptLocal.length + newMerged) * h, textRows * h);
            int[] present = ids;
            int[] nextIds = new int[keptLocal.length + newMerged];
            for (int i = 0; i < keptLocal.length; i++) {
                nextIds[i] = present[keptLocal[i]];
            }
            for (int i = 0; i < newMerged; i++) {
                nextIds[keptLocal.length + i] = -1 - mergedCount++;
            }
            stages.add(new DropStage(present, scores, nextIds));
            x[0] = next;
            ids = nextIds;
            visual = nextIds.length;
            n = next.length / h;
            from = layer + 1;
        }
        decoder.forward(x[0], n, null, cache, ops, from, decoder.layers(), null);
        return n;
    }

    private static float[] compactRows(float[] x, int[] rows, int width) {
        float[] out = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(x, rows[i] * width, out, i * width, width);
        }
        return out;
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
