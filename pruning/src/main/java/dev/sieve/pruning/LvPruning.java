package dev.sieve.pruning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sieve.kernels.Attention;
import dev.sieve.kernels.Gemm;
import dev.sieve.kernels.Norms;
import dev.sieve.kernels.Parallel;
import dev.sieve.kernels.WeightMatrix;
import dev.sieve.kernels.WeightType;
import dev.sieve.pruning.pipeline.Decision;
import dev.sieve.pruning.pipeline.Hook;
import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.PositionRule;
import dev.sieve.pruning.pipeline.PruningStage;
import dev.sieve.pruning.pipeline.Role;
import dev.sieve.pruning.pipeline.SequenceView;
import dev.sieve.pruning.pipeline.SignalRequest;
import dev.sieve.pruning.pipeline.Signals;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import dev.sieve.safetensors.SafetensorsException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * LVPruning — Sun et al., "LVPruning: An Effective yet Simple Language-Guided Vision Token Pruning
 * Approach for Multi-modal Large Language Models" (Findings of NAACL 2025). No official code is
 * public; the modules are trained by {@code tools/train-lvpruning.py}, whose header documents every
 * choice, and read here from a directory holding {@code modules.safetensors} and {@code config.json}.
 *
 * <p>After each configured LLM layer a module scores the visual tokens still present: with X the
 * layer's output and N its RMSNorm (the module's own weight), Q = N(X_visual)·W_q, K = N(X_text)·W_k,
 * V = N(X_text)·W_v over the instruction rows (every prompt row after the image), multi-head
 * O = softmax(Q·Kᵀ/√d)·V + Q, and a linear head gives (keep, drop) logits; the tokens with the largest
 * keep − drop stay (the module's budget; raster order) with their original position ids, as the
 * attention masks the modules were trained under left them.
 *
 * @param directory where the modules were read from
 * @param layers the LLM layer after which each module acts
 * @param budgets visual tokens each module keeps
 * @param modules the weights, one per layer
 */
public record LvPruning(Path directory, int[] layers, int[] budgets, List<Module> modules) implements PruningStage {
    public static final String USAGE = "[modules=DIR][,keep=N|RATIO] (default: the model directory's lvpruning/)";

    /** One module's weights: RMSNorm, q/k/v projections (width x hidden), head (2 x width) with bias. */
    public record Module(float[] norm, float eps, WeightMatrix q, WeightMatrix k, WeightMatrix v, WeightMatrix head, float[] headBias,
                         int width, int heads) {}

    /**
     * The modules of spec {@code lvpruning[:modules=DIR][,keep=N|RATIO]}: DIR defaults to the model
     * directory's {@code lvpruning/}; keep replaces the last module's budget (earlier budgets shrink in
     * proportion, never below it).
     */
    public static LvPruning fromSpec(PruneSpec spec, ModelShape shape, int visualTokens) {
        spec.requireKeys(List.of(), "modules", "keep");
        Path dir;
        if (spec.has("modules")) {
            dir = Path.of(spec.options().get("modules"));
        } else if (shape.directory() != null) {
            dir = shape.directory().resolve("lvpruning");
        } else {
            throw new IllegalArgumentException("lvpruning needs modules=DIR: this plan was built without a model directory");
        }
        LvPruning stage = load(dir, shape);
        int[] budgets = stage.budgets().clone();
        if (spec.has("keep")) {
            int keep = spec.budget("keep", visualTokens);
            int last = budgets[budgets.length - 1];
            for (int i = 0; i < budgets.length; i++) {
                budgets[i] = i == budgets.length - 1 ? keep : Math.max(keep, (int) Math.round((double) budgets[i] * keep / Math.max(1, last)));
            }
        }
        for (int i = 0; i < budgets.length; i++) {
            if (budgets[i] > (i == 0 ? visualTokens : budgets[i - 1])) {
                throw new IllegalArgumentException("lvpruning: module " + (i + 1) + " keeps " + budgets[i] + " tokens, more than the "
                        + (i == 0 ? visualTokens : budgets[i - 1]) + " entering it (" + dir.resolve("config.json") + ")");
            }
        }
        return new LvPruning(dir, stage.layers(), budgets, stage.modules());
    }

    /** Modules already read, by directory, file stamps and model dims: a server parses a plan per request. */
    private static final java.util.Map<String, LvPruning> LOADED = new java.util.concurrent.ConcurrentHashMap<>();

    /** Reads {@code dir}/config.json and modules.safetensors, checked against the model; one-line IllegalArgumentException otherwise. */
    public static LvPruning load(Path dir, ModelShape shape) {
        Path configFile = dir.resolve("config.json");
        Path weightsFile = dir.resolve("modules.safetensors");
        if (!Files.isRegularFile(configFile) || !Files.isRegularFile(weightsFile)) {
            throw new IllegalArgumentException("lvpruning: " + dir + " holds no trained modules (needs config.json and modules.safetensors;"
                    + " tools/train-lvpruning.py writes them)");
        }
        String key;
        try {
            key = dir.toAbsolutePath().normalize() + "|" + Files.getLastModifiedTime(configFile) + "|" + Files.getLastModifiedTime(weightsFile)
                    + "|" + Files.size(weightsFile) + "|" + shape.textHidden() + "|" + shape.textLayers();
        } catch (IOException e) {
            throw new IllegalArgumentException("lvpruning: cannot read " + dir + ": " + e.getMessage());
        }
        LvPruning cached = LOADED.get(key);
        if (cached != null) {
            return cached;
        }
        LvPruning loaded = read(dir, configFile, weightsFile, shape);
        LOADED.put(key, loaded);
        return loaded;
    }

    private static LvPruning read(Path dir, Path configFile, Path weightsFile, ModelShape shape) {
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(configFile.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("lvpruning: " + configFile + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        int hidden = intField(c, "hidden_size", configFile);
        int width = intField(c, "width", configFile);
        int heads = intField(c, "heads", configFile);
        if (hidden != shape.textHidden()) {
            throw new IllegalArgumentException("lvpruning: " + configFile + " has hidden_size " + hidden + " but the model's LLM width is "
                    + shape.textHidden());
        }
        if (heads < 1 || width % heads != 0) {
            throw new IllegalArgumentException("lvpruning: " + configFile + ": width " + width + " must be a multiple of heads " + heads);
        }
        int[] layers = intArray(c, "layers", configFile);
        int[] budgets = intArray(c, "budgets", configFile);
        if (layers.length == 0 || layers.length != budgets.length) {
            throw new IllegalArgumentException("lvpruning: " + configFile + " needs one budget per layer");
        }
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] < 0 || layers[i] >= shape.textLayers() - 1 || (i > 0 && layers[i] <= layers[i - 1])) {
                throw new IllegalArgumentException("lvpruning: " + configFile + " layers " + Arrays.toString(layers)
                        + " must increase and lie below the model's last LLM layer " + (shape.textLayers() - 1));
            }
        }
        float eps = c.has("rms_norm_eps") ? (float) c.get("rms_norm_eps").asDouble() : 1e-5f;
        List<Module> modules = new ArrayList<>();
        try (SafetensorsCheckpoint w = SafetensorsCheckpoint.open(weightsFile)) {
            for (int i = 0; i < layers.length; i++) {
                String p = "modules." + i + ".";
                modules.add(new Module(floats(w, p + "norm.weight", weightsFile, hidden), eps, matrix(w, p + "q_proj.weight", weightsFile, width, hidden),
                        matrix(w, p + "k_proj.weight", weightsFile, width, hidden), matrix(w, p + "v_proj.weight", weightsFile, width, hidden),
                        matrix(w, p + "head.weight", weightsFile, 2, width), floats(w, p + "head.bias", weightsFile, 2), width, heads));
            }
        } catch (SafetensorsException e) {
            throw new IllegalArgumentException("lvpruning: " + e.getMessage());
        }
        return new LvPruning(dir, layers, budgets, List.copyOf(modules));
    }

    @Override
    public String name() {
        return "lvpruning";
    }

    @Override
    public List<Hook> hooks(ModelShape shape) {
        return Arrays.stream(layers).mapToObj(Hook::afterLlmLayer).toList();
    }

    @Override
    public SignalRequest wants(Hook hook, SequenceView view) {
        int[] visual = view.visualRows();
        int[] text = view.rowsWith(Role.TEXT_AFTER);
        int[] both = Arrays.copyOf(visual, visual.length + text.length);
        System.arraycopy(text, 0, both, visual.length, text.length);
        return SignalRequest.hiddenOf(both);
    }

    @Override
    public Decision decide(Hook hook, SequenceView view, Signals signals) {
        int stage = indexOf(layers, hook.layer());
        int[] visual = view.visualRows();
        int[] text = view.rowsWith(Role.TEXT_AFTER);
        if (text.length == 0) {
            throw new IllegalArgumentException("lvpruning needs instruction text after the image (its modules attend to it)");
        }
        int keep = Math.min(budgets[stage], visual.length);
        float[] logits = logits(modules.get(stage), signals.hidden(visual), visual.length, signals.hidden(text), text.length);
        float[] scores = new float[visual.length];
        for (int j = 0; j < scores.length; j++) {
            scores[j] = logits[2 * j] - logits[2 * j + 1];
        }
        return Decision.keepVisual(view, TopK.largestSorted(scores, keep), PositionRule.ORIGINAL, scores);
    }

    /** The module's (keep, drop) logits for {@code p} visual rows given {@code t} instruction rows, [p x 2]. */
    public static float[] logits(Module m, float[] visual, int p, float[] text, int t) {
        int h = m.norm().length;
        int w = m.width();
        int d = w / m.heads();
        Parallel serial = Parallel.serial();
        float[] nv = new float[p * h];
        float[] nt = new float[t * h];
        Norms.rmsNorm(seg(visual), p, h, h, m.norm(), m.eps(), seg(nv), h);
        Norms.rmsNorm(seg(text), t, h, h, m.norm(), m.eps(), seg(nt), h);
        float[] q = new float[p * w];
        float[] k = new float[t * w];
        float[] v = new float[t * w];
        Gemm.matmul(seg(nv), p, h, h, m.q(), null, seg(q), w, serial);
        Gemm.matmul(seg(nt), t, h, h, m.k(), null, seg(k), w, serial);
        Gemm.matmul(seg(nt), t, h, h, m.v(), null, seg(v), w, serial);
        float[] o = new float[p * w];
        // Every visual row attends to every instruction row (no causal mask), one head per d columns.
        Attention.attend(seg(q), w, seg(k), w, seg(v), w, seg(o), w, p, t, m.heads(), m.heads(), d, (float) (1 / Math.sqrt(d)), false, serial);
        for (int i = 0; i < o.length; i++) {
            o[i] += q[i];
        }
        float[] out = new float[p * 2];
        Gemm.matmul(seg(o), p, w, w, m.head(), m.headBias(), seg(out), 2, serial);
        return out;
    }

    @Override
    public int visualTokensAfter(int entering) {
        return Math.min(entering, budgets[budgets.length - 1]);
    }

    private static MemorySegment seg(float[] a) {
        return MemorySegment.ofArray(a);
    }

    private static int indexOf(int[] values, int value) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == value) {
                return i;
            }
        }
        throw new IllegalArgumentException("lvpruning has no module after LLM layer " + value);
    }

    private static int intField(JsonNode c, String name, Path file) {
        JsonNode n = c.get(name);
        if (n == null || !n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 1) {
            throw new IllegalArgumentException("lvpruning: " + file + ": \"" + name + "\" must be a positive integer");
        }
        return n.asInt();
    }

    private static int[] intArray(JsonNode c, String name, Path file) {
        JsonNode n = c.get(name);
        if (n == null || !n.isArray()) {
            throw new IllegalArgumentException("lvpruning: " + file + ": \"" + name + "\" must be an array of integers");
        }
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            if (!n.get(i).isIntegralNumber()) {
                throw new IllegalArgumentException("lvpruning: " + file + ": \"" + name + "\" must be an array of integers");
            }
            out[i] = n.get(i).asInt();
        }
        return out;
    }

    private static float[] floats(SafetensorsCheckpoint w, String name, Path file, int n) {
        float[] values = w.find(name).orElseThrow(() -> new IllegalArgumentException("lvpruning: " + file + " has no tensor '" + name + "'"))
                .toFloatArray();
        if (values.length != n) {
            throw new IllegalArgumentException("lvpruning: " + file + ": tensor '" + name + "' holds " + values.length + " values, expected "
                    + n + " (does it match the model?)");
        }
        return values;
    }

    private static WeightMatrix matrix(SafetensorsCheckpoint w, String name, Path file, int rows, int cols) {
        return WeightMatrix.dense(WeightType.F32, rows, cols, MemorySegment.ofArray(floats(w, name, file, rows * cols)));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LvPruning other && directory.equals(other.directory) && Arrays.equals(layers, other.layers)
                && Arrays.equals(budgets, other.budgets);
    }

    @Override
    public int hashCode() {
        return 31 * directory.hashCode() + Arrays.hashCode(budgets);
    }

    @Override
    public String toString() {
        return "LVPruning(" + directory + ", layers=" + Arrays.toString(layers) + ", budgets=" + Arrays.toString(budgets) + ")";
    }
}
