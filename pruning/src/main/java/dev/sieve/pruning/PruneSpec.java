package dev.sieve.pruning;

import dev.sieve.pruning.pipeline.PositionRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One stage of a pruning request as users write it: {@code method[:key=value,...]}, e.g.
 * {@code fastv:k=2,keep=288}; a plan joins stages with {@code +} in flow order. This class only
 * parses; each method's factory (see {@link StageRegistry}) checks its own keys and values with the
 * helpers here, so every message names the method, the key and the rule. A keep value below 1 is a
 * ratio of the visual tokens entering the stage ({@code keep=0.25}); lists use {@code /}.
 */
public record PruneSpec(String method, Map<String, String> options) {
    public PruneSpec {
        options = Map.copyOf(options);
    }

    /** Splits {@code a+b+...} into its stages (syntax and method names only). */
    public static List<PruneSpec> parseAll(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("prune spec is empty; accepted: " + StageRegistry.accepted());
        }
        List<PruneSpec> stages = new ArrayList<>();
        for (String part : spec.split("\\+", -1)) {
            stages.add(parse(part));
        }
        if (stages.size() > 1 && stages.stream().anyMatch(p -> p.method().equals("none"))) {
            throw new IllegalArgumentException("prune spec '" + spec + "': 'none' cannot be combined with other stages");
        }
        return stages;
    }

    public static PruneSpec parse(String spec) {
        String trimmed = spec.strip();
        int colon = trimmed.indexOf(':');
        String method = (colon < 0 ? trimmed : trimmed.substring(0, colon)).strip().toLowerCase(Locale.ROOT);
        if (method.isEmpty()) {
            throw new IllegalArgumentException("prune spec '" + spec + "': a stage needs a method name; accepted: " + StageRegistry.accepted());
        }
        Map<String, String> options = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String pair : trimmed.substring(colon + 1).split(",", -1)) {
                int eq = pair.indexOf('=');
                if (eq <= 0 || eq == pair.strip().length() - 1 || pair.strip().endsWith("=")) {
                    throw new IllegalArgumentException("prune spec '" + spec + "': '" + pair + "' is not key=value; accepted: "
                            + StageRegistry.accepted());
                }
                String key = pair.substring(0, eq).strip();
                if (options.put(key, pair.substring(eq + 1).strip()) != null) {
                    throw new IllegalArgumentException("prune spec '" + spec + "': key '" + key + "' is given twice");
                }
            }
        }
        if (!method.equals("none") && !StageRegistry.contains(method)) {
            throw new IllegalArgumentException("prune spec '" + spec + "': unknown method '" + method + "'; accepted: " + StageRegistry.accepted());
        }
        if (method.equals("none") && !options.isEmpty()) {
            throw new IllegalArgumentException("prune spec '" + spec + "': none takes no options");
        }
        String positions = options.get("positions");
        if (positions != null && !positions.equals("original") && !positions.equals("reindex")) {
            throw new IllegalArgumentException("prune spec '" + spec + "': positions=" + positions + " must be original or reindex");
        }
        return new PruneSpec(method, options);
    }

    /** The stage's position-id override, or null for the method's own rule. */
    public PositionRule positions() {
        String raw = options.get("positions");
        return raw == null ? null : raw.equals("original") ? PositionRule.ORIGINAL : PositionRule.REINDEX;
    }

    /** Refuses keys other than {@code required} (all must be present), {@code optional} and positions=. */
    public PruneSpec requireKeys(List<String> required, String... optional) {
        for (String key : options.keySet()) {
            if (!required.contains(key) && !Arrays.asList(optional).contains(key) && !key.equals("positions")) {
                throw new IllegalArgumentException(method + ": unknown key '" + key + "'; " + method + " takes "
                        + StageRegistry.usage(method));
            }
        }
        for (String key : required) {
            if (!options.containsKey(key)) {
                throw new IllegalArgumentException(method + ": missing " + key + "=; " + method + " takes " + StageRegistry.usage(method));
            }
        }
        return this;
    }

    public boolean has(String key) {
        return options.containsKey(key);
    }

    /** The {@code key} option as a token count: an integer, or a ratio in (0, 1) of {@code tokens} (rounded). */
    public int budget(String key, int tokens) {
        String raw = options.get(key);
        double value;
        try {
            value = Double.parseDouble(raw);
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException(method + " " + key + "=" + raw + " is not a number");
        }
        boolean ratio = value > 0 && value < 1;
        if (!ratio && (value != Math.rint(value) || Double.isInfinite(value))) {
            throw new IllegalArgumentException(method + " " + key + "=" + raw + " must be a whole number of tokens or a ratio below 1");
        }
        if (!ratio && (value < 0 || value > tokens)) {
            throw new IllegalArgumentException(method + " " + key + "=" + raw + " is outside 0.." + tokens + " (the visual tokens entering it)");
        }
        return ratio ? (int) Math.round(value * tokens) : (int) value;
    }

    public int integer(String key) {
        try {
            return Integer.parseInt(options.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(method + " " + key + "=" + options.get(key) + " is not an integer");
        }
    }

    public int integer(String key, int fallback) {
        return has(key) ? integer(key) : fallback;
    }

    public long longValue(String key, long fallback) {
        if (!has(key)) {
            return fallback;
        }
        try {
            return Long.parseLong(options.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(method + " " + key + "=" + options.get(key) + " is not an integer");
        }
    }

    /** A number in [0, 1], or {@code fallback} when absent. */
    public double ratio(String key, double fallback) {
        String raw = options.get(key);
        if (raw == null) {
            return fallback;
        }
        try {
            double v = Double.parseDouble(raw);
            if (v >= 0 && v <= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(method + " " + key + "=" + raw + " must be a ratio between 0 and 1");
    }

    /** A '/'-separated list of integers. */
    public int[] integers(String key) {
        try {
            return Arrays.stream(options.get(key).split("/", -1)).mapToInt(v -> Integer.parseInt(v.strip())).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(method + " " + key + "=" + options.get(key) + " must be integers separated by '/'");
        }
    }

    /** A '/'-separated list of numbers. */
    public double[] numbers(String key) {
        try {
            double[] values = Arrays.stream(options.get(key).split("/", -1)).mapToDouble(v -> Double.parseDouble(v.strip())).toArray();
            for (double v : values) {
                if (!Double.isFinite(v)) {
                    throw new NumberFormatException();
                }
            }
            return values;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(method + " " + key + "=" + options.get(key) + " must be numbers separated by '/'");
        }
    }

    /** K for a method acting at LLM layer K (1 <= K < layers). */
    public int layerK(String key, int layers) {
        int k = integer(key);
        if (k < 1 || k >= layers) {
            throw new IllegalArgumentException(method + " " + key + "=" + k + " must be between 1 and " + (layers - 1) + " (the model has "
                    + layers + " LLM layers)");
        }
        return k;
    }

    @Override
    public String toString() {
        if (options.isEmpty()) {
            return method;
        }
        StringBuilder b = new StringBuilder(method).append(':');
        options.forEach((k, v) -> b.append(k).append('=').append(v).append(','));
        return b.substring(0, b.length() - 1);
    }
}
