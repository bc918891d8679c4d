package dev.sieve.pruning;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A pruning request as users write it: {@code method[:key=value,...]}, e.g. {@code fastv:k=2,keep=288}
 * or {@code none}. A keep value below 1 is a ratio of the image tokens ({@code keep=0.25}).
 * Anything else is refused with one line that lists what is accepted.
 */
public record PruneSpec(String method, Map<String, String> options) {
    public static final String ACCEPTED = "none, fastv:k=K,keep=N|RATIO (other methods are not implemented yet)";

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
            default -> throw new IllegalArgumentException("prune spec '" + spec + "': unknown method '" + method + "'; accepted: " + ACCEPTED);
        }
        return new PruneSpec(method, Map.copyOf(options));
    }

    /** FastV for a prompt with {@code imageTokens} image tokens and a decoder of {@code layers} layers, checked against both. */
    public FastV fastV(int imageTokens, int layers) {
        int k = integer("k");
        if (k < 1 || k >= layers) {
            throw new IllegalArgumentException("fastv k=" + k + " must be between 1 and " + (layers - 1) + " (the model has " + layers + " LLM layers)");
        }
        return new FastV(k, budget(imageTokens));
    }

    /** The keep option as a token count: an integer, or a ratio in (0, 1) of the image tokens (rounded). */
    public int budget(int imageTokens) {
        String raw = options.get("keep");
        double value;
        try {
            value = Double.parseDouble(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(method + " keep=" + raw + " is not a number");
        }
        int keep = value > 0 && value < 1 ? (int) Math.round(value * imageTokens) : (int) value;
        if (keep != value && !(value > 0 && value < 1)) {
            throw new IllegalArgumentException(method + " keep=" + raw + " must be a whole number of tokens or a ratio below 1");
        }
        if (keep < 0 || keep > imageTokens) {
            throw new IllegalArgumentException(method + " keep=" + raw + " is outside 0.." + imageTokens + " (the image tokens)");
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
        for (String key : options.keySet()) {
            if (!java.util.List.of(keys).contains(key)) {
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
