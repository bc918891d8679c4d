package dev.sieve.pruning.pipeline;

/**
 * What a stage wants computed at a hook; the model computes exactly this and nothing more.
 *
 * @param attentionRows query rows whose attention probabilities (mean over heads) the stage wants,
 *     or null: at an "after layer i" hook (vision or LLM) and at the tower's output, layer i's own
 *     (the feature layer's); at a "before LLM layer i" hook, a look-ahead of layer i's attention on its
 *     input. Not available after the projector.
 * @param hiddenRows rows whose hidden states the stage wants (the layer's output; the projected rows
 *     after the projector), or null
 * @param keys whether the stage wants the layer's keys averaged over heads for every row (vision hooks only)
 */
public record SignalRequest(int[] attentionRows, int[] hiddenRows, boolean keys) {
    public static final SignalRequest NONE = new SignalRequest(null, null, false);

    public SignalRequest {
        attentionRows = attentionRows == null ? null : attentionRows.clone();
        hiddenRows = hiddenRows == null ? null : hiddenRows.clone();
    }

    public static SignalRequest attentionOf(int... queryRows) {
        return new SignalRequest(queryRows, null, false);
    }

    public static SignalRequest hiddenOf(int... rows) {
        return new SignalRequest(null, rows, false);
    }

    public SignalRequest andHidden(int... rows) {
        return new SignalRequest(attentionRows, rows, keys);
    }

    public SignalRequest andKeys() {
        return new SignalRequest(attentionRows, hiddenRows, true);
    }

    public boolean isEmpty() {
        return attentionRows == null && hiddenRows == null && !keys;
    }
}
