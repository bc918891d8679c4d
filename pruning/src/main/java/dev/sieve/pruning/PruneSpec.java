package dev.sieve.pruning;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A pruning request as users write it: {@code method[:key=value,...]}, e.g. {@code fastv:k=2,keep=288}
 * or {@code none}. A keep value below 1 is a ratio of the image tokens ({@code keep=0.25}).
 * Anything else is refused with one line that lists what is accepted.
 */
public record PruneSpec(String method, Map<String, String> options) {
    public static final String ACCEPTED = "none, fastv:k=K,keep=N|RATIO, vispruner:keep=N|RATIO[,important=0.5], fastervlm:keep=N|RATIO,"
            + " divprune:keep=N|RATIO, random:keep=N|RATIO[,seed=S], uniform:keep=N|RATIO, pdrop:layers=8/16/24,ratios=0.5/0.25/0.125, visionzip:dominant=54,contextual=10|keep=64, or a vision-side method + fastv (e.g. vispruner:keep=8+fastv:k=2,keep=4);"
            + " ivtp:k=K,keep=N|RATIO[,layers=L1/L2,weights=W1/W2][,k2=K2,keep2=N|RATIO]; sparsevlm:keep=192|128|64 (LLaVA-1.5's 576 tokens) or sparsevlm:layers=2/6/15,counts=300/200/110;"
            + " any method also takes positions=original|reindex";

    /** Splits {@code a+b} into its stages (at most one vision-side method, then at most one FastV). */
    public static java.util.List<PruneSpec> parseAll(String spec) {
        java.util.List<PruneSpec> stages = new java.util.ArrayList<>();
        for (String part : spec.split("\\+")) {
            stages.add(parse(part));
        }
        long vision = stages.stream().filter(PruneSpec::isVisionSide).count();
        long llm = stages.stream().filter(p -> java.util.List.of("fastv", "pdrop", "ivtp", "sparsevlm").contains(p.method())).count();
        boolean ordered = stages.size() < 2 || stages.get(0).isVisionSide();
        if (vision > 1 || llm > 1 || !ordered || (stages.size() > 1 && stages.stream().anyMatch(p -> p.method().equals("none")))) {
            throw new IllegalArgumentException("prune spec '" + spec + "': combine at most one vision-side method followed by fastv; accepted: "
                    + ACCEPTED);
        }
        return stages;
    }

    public boolean isVisionSide() {
        return java.util.List.of("vispruner", "fastervlm", "divprune", "random", "uniform", "visionzip").contains(method);
    }

    /** SparseVLM, checked against the image tokens and the decoder's layers. */
    public SparseVlm sparseVlm(int imageTokens, int layers) {
        SparseVlm sv;
        if (options.containsKey("keep")) {
            if (imageTokens != 576) {
                throw new IllegalArgumentException("sparsevlm keep= uses the reference schedules for 576 visual tokens; this model has "
                        + imageTokens + ": give layers=L1/L2/..,counts=N1/N2/..");
            }
            sv = SparseVlm.forBudget(integer("keep"));
        } else {
            String[] l = options.get("layers").split("/");
            String[] c = options.get("counts").split("/");
            if (l.length != c.length) {
                throw new IllegalArgumentException("sparsevlm needs one count per layer: layers=" + options.get("layers") + ", counts="
                        + options.get("counts"));
            }
            int[] ls = new int[l.length];
            int[] cs = new int[c.length];
            try {
                for (int i = 0; i < l.length; i++) {
                    ls[i] = Integer.parseInt(l[i].strip());
                    cs[i] = Integer.parseInt(c[i].strip());
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("sparsevlm layers= and counts= must be integers separated by '/'");
            }
            sv = new SparseVlm(ls, cs);
        }
        if (sv.layers()[sv.layers().length - 1] >= layers - 1) {
            throw new IllegalArgumentException("sparsevlm layers must be below " + (layers - 1) + " (the model has " + layers + " LLM layers)");
        }
        return sv;
    }

    /** PyramidDrop for a decoder of {@code layersInModel} layers (layers and ratios separated by '/'). */
    public PyramidDrop pyramidDrop(int layersInModel) {
        int[] layers;
        double[] ratios;
        try {
            layers = java.util.Arrays.stream(options.get("layers").split("/")).mapToInt(v -> Integer.parseInt(v.strip())).toArray();
            ratios = java.util.Arrays.stream(options.get("ratios").split("/")).mapToDouble(v -> Double.parseDouble(v.strip())).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("pdrop layers and ratios are lists separated by '/', e.g. layers=8/16/24,ratios=0.5/0.25/0.125");
        }
        for (int l : layers) {
            if (l >= layersInModel) {
                throw new IllegalArgumentException("pdrop layer " + l + " must be below the model's " + layersInModel + " LLM layers");
            }
        }
        return new PyramidDrop(layers, ratios);
    }

    /** VisionZip: dominant (counting [CLS]) + contextual tokens, or the official split of keep=B. */
    public VisionZip visionZip(int imageTokens) {
        VisionZip zip = options.containsKey("keep") ? VisionZip.forBudget(budget(imageTokens))
                : new VisionZip(integer("dominant"), integer("contextual"));
        if (zip.dominant() - 1 + zip.contextual() > imageTokens) {
            throw new IllegalArgumentException("visionzip " + zip.dominant() + "+" + zip.contextual() + " needs more than the "
                    + imageTokens + " image tokens");
        }
        return zip;
    }

    /** The vision-side method for an image of {@code imageTokens} visual tokens. */
    public VisionMethod visionMethod(int imageTokens) {
        int keep = budget(imageTokens);
        return switch (method) {
            case "vispruner" -> new VisPruner(keep, ratio("important", 0.5));
            case "fastervlm" -> new FasterVlm(keep);
            case "divprune" -> new DivPrune(keep);
            case "random" -> new RandomBaseline(keep, seed());
            case "visionzip" -> throw new IllegalArgumentException("visionzip merges tokens; use visionZip()");
            case "uniform" -> new UniformBaseline(keep);
            default -> throw new IllegalArgumentException(method + " is not a vision-side method");
        };
    }

    private long seed() {
        String raw = options.getOrDefault("seed", "0");
        try {
            return Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(method + " seed=" + raw + " is not an integer");
        }
    }

    private double ratio(String key, double fallback) {
        String raw = options.get(key);
        if (raw == null) {
            return fallback;
        }
        try {
            double v = Double.parseDouble(raw);
            if (v < 0 || v > 1) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(method + " " + key + "=" + raw + " must be a ratio between 0 and 1");
        }
    }

    public static PruneSpec parse(String spec) {
        String trimmed = spec.strip();
        int colon = trimmed.indexOf(':');
        String method = (colon < 0 ? trimmed : trimmed.substring(0, colon)).toLowerCase(java.util.Locale.ROOT);
        Map<String, String> options = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String pair : trimmed.substring(colon + 1).split(",")) {
                int eq = pair.indexOf('=');
                if (eq <= 0 || eq == pair.length() - 1) {
                    throw new IllegalArgumentException("prune spec '" + spec + "': '" + pair + "' is not key=value; accepted: " + ACCEPTED);
                }
                options.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
            }
        }
        switch (method) {
            case "none" -> requireKeys(spec, options);
            case "fastv" -> requireKeys(spec, options, "k", "keep");
            case "ivtp" -> requireKeys(spec, options, java.util.List.of("layers", "weights", "k2", "keep2"), "k", "keep");
            case "vispruner" -> requireKeys(spec, options, java.util.List.of("important"), "keep");
            case "fastervlm", "divprune", "uniform" -> requireKeys(spec, options, "keep");
            case "random" -> requireKeys(spec, options, java.util.List.of("seed"), "keep");
            case "pdrop" -> requireKeys(spec, options, "layers", "ratios");
            case "sparsevlm" -> {
                if (options.containsKey("keep")) {
                    requireKeys(spec, options, "keep");
                } else {
                    requireKeys(spec, options, "layers", "counts");
                }
            }
            case "visionzip" -> {
                if (options.containsKey("keep")) {
                    requireKeys(spec, options, "keep");
                } else {
                    requireKeys(spec, options, "dominant", "contextual");
                }
            }
            default -> throw new IllegalArgumentException("prune spec '" + spec + "': unknown method '" + method + "'; accepted: " + ACCEPTED);
        }
        String positions = options.get("positions");
        if (positions != null && !positions.equals("original") && !positions.equals("reindex")) {
            throw new IllegalArgumentException("prune spec '" + spec + "': positions=" + positions + " must be original or reindex");
        }
        return new PruneSpec(method, Map.copyOf(options));
    }

    /**
     * The position-id override of this stage, or null for the method's own rule (FastV and IVTP keep
     * original ids; vision-side methods and PyramidDrop re-index): "original" keeps every kept token's
     * position in the unpruned prompt (gaps where tokens went), "reindex" numbers the rows 0, 1, ...
     */
    public String positions() {
        return options.get("positions");
    }

    /** FastV for a prompt with {@code imageTokens} image tokens and a decoder of {@code layers} layers, checked against both. */
    public FastV fastV(int imageTokens, int layers) {
        return new FastV(layerK(layers), budget(imageTokens));
    }

    /** FastV or IVTP (whichever this spec names), checked against the image tokens and the decoder's layers. */
    public LayerMethod layerMethod(int imageTokens, int layers) {
        return method.equals("ivtp") ? ivtp(imageTokens, layers) : fastV(imageTokens, layers);
    }

    /** IVTP with optional fusion: {@code layers=5/6/7} (below k) and {@code weights=0.2/0.3/0.5} (equal by default). */
    private Ivtp ivtp(int imageTokens, int layers) {
        Ivtp one = ivtpFirstStage(imageTokens, layers);
        if (!options.containsKey("k2") && !options.containsKey("keep2")) {
            return one;
        }
        if (!options.containsKey("k2") || !options.containsKey("keep2")) {
            throw new IllegalArgumentException("ivtp's second stage needs both k2= and keep2=");
        }
        int k2 = integer("k2");
        if (k2 <= one.layer() || k2 >= layers) {
            throw new IllegalArgumentException("ivtp k2=" + k2 + " must be between k+1=" + (one.layer() + 1) + " and " + (layers - 1));
        }
        int keep2 = budget(imageTokens, "keep2");
        if (keep2 > one.keep()) {
            throw new IllegalArgumentException("ivtp keep2=" + keep2 + " must not exceed keep=" + one.keep());
        }
        return new Ivtp(one.layer(), one.keep(), one.scoreLayers(), one.scoreWeights(), k2, keep2);
    }

    private Ivtp ivtpFirstStage(int imageTokens, int layers) {
        int k = layerK(layers);
        if (!options.containsKey("layers")) {
            if (options.containsKey("weights")) {
                throw new IllegalArgumentException("ivtp weights= needs layers= (one weight per layer)");
            }
            return new Ivtp(k, budget(imageTokens));
        }
        String[] layerList = options.get("layers").split("/");
        int[] scoreLayers = new int[layerList.length];
        double[] weights = new double[layerList.length];
        String[] weightList = options.containsKey("weights") ? options.get("weights").split("/") : null;
        if (weightList != null && weightList.length != layerList.length) {
            throw new IllegalArgumentException("ivtp needs one weight per layer: layers=" + options.get("layers") + ", weights="
                    + options.get("weights"));
        }
        try {
            for (int i = 0; i < layerList.length; i++) {
                scoreLayers[i] = Integer.parseInt(layerList[i].strip());
                weights[i] = weightList == null ? 1 : Double.parseDouble(weightList[i].strip());
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ivtp layers= must be integers and weights= numbers, separated by '/'");
        }
        return new Ivtp(k, budget(imageTokens), scoreLayers, weights);
    }

    private int layerK(int layers) {
        int k = integer("k");
        if (k < 1 || k >= layers) {
            throw new IllegalArgumentException(method + " k=" + k + " must be between 1 and " + (layers - 1) + " (the model has " + layers
                    + " LLM layers)");
        }
        return k;
    }

    /** The keep option as a token count: an integer, or a ratio in (0, 1) of the image tokens (rounded). */
    public int budget(int imageTokens) {
        return budget(imageTokens, "keep");
    }

    private int budget(int imageTokens, String key) {
        String raw = options.get(key);
        double value;
        try {
            value = Double.parseDouble(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(method + " " + key + "=" + raw + " is not a number");
        }
        int keep = value > 0 && value < 1 ? (int) Math.round(value * imageTokens) : (int) value;
        if (keep != value && !(value > 0 && value < 1)) {
            throw new IllegalArgumentException(method + " " + key + "=" + raw + " must be a whole number of tokens or a ratio below 1");
        }
        if (keep < 0 || keep > imageTokens) {
            throw new IllegalArgumentException(method + " " + key + "=" + raw + " is outside 0.." + imageTokens + " (the image tokens)");
        }
        return keep;
    }

    private int integer(String key) {
        try {
            return Integer.parseInt(options.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(method + " " + key + "=" + options.get(key) + " is not an integer");
        }
    }

    private static void requireKeys(String spec, Map<String, String> options, String... keys) {
        requireKeys(spec, options, java.util.List.of(), keys);
    }

    private static void requireKeys(String spec, Map<String, String> options, java.util.List<String> optional, String... keys) {
        for (String key : options.keySet()) {
            // positions= overrides the position-id rule after any pruning stage (see positions()).
            boolean positions = key.equals("positions") && keys.length > 0;
            if (!java.util.List.of(keys).contains(key) && !optional.contains(key) && !positions) {
                throw new IllegalArgumentException("prune spec '" + spec + "': unknown key '" + key + "'; accepted: " + ACCEPTED);
            }
        }
        for (String key : keys) {
            if (!options.containsKey(key)) {
                throw new IllegalArgumentException("prune spec '" + spec + "': missing " + key + "; accepted: " + ACCEPTED);
            }
        }
    }
}
