package dev.sieve.llava.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Splits normalised text into pieces the way SentencePiece's {@code bpe::Model::Encode} does: start from
 * single code points (user-defined pieces matched whole first, and frozen), then repeatedly merge the adjacent
 * pair whose concatenation is a vocabulary piece with the highest score, the leftmost pair on ties. The result
 * may contain pieces not in the vocabulary (single unknown characters); the caller maps those to unk or bytes.
 */
final class BpeSegmenter {
    /** Pieces merges may produce: NORMAL, USER_DEFINED and UNUSED, as SentencePiece's {@code pieces_} map. */
    private final Map<String, Integer> mergeable;
    private final float[] scores;
    private final boolean[] unused;
    /** User-defined pieces, longest first, so the longest one matching at a position wins. */
    private final List<String> userDefined;

    BpeSegmenter(Map<String, Integer> mergeable, float[] scores, boolean[] unused, List<String> userDefined) {
        this.mergeable = mergeable;
        this.scores = scores;
        this.unused = unused;
        this.userDefined = new ArrayList<>(userDefined);
        this.userDefined.removeIf(String::isEmpty);
        this.userDefined.sort(Comparator.comparingInt(String::length).reversed());
    }

    /** A candidate merge of the symbols at {@code left} and {@code right}; {@code length} detects stale entries. */
    private record Candidate(int left, int right, float score, int length) {}

    /** Highest score first; on equal scores the leftmost pair, exactly as SentencePiece's comparator. */
    private static final Comparator<Candidate> PRIORITY =
            Comparator.comparingDouble((Candidate c) -> c.score).reversed().thenComparingInt(c -> c.left);

    List<String> segment(String normalized) {
        List<String> initial = new ArrayList<>();
        List<Boolean> frozen = new ArrayList<>();
        for (int i = 0; i < normalized.length(); ) {
            String user = userDefinedAt(normalized, i);
            String symbol = user != null ? user : normalized.substring(i, i + Character.charCount(normalized.codePointAt(i)));
            initial.add(symbol);
            frozen.add(user != null); // user-defined pieces never take part in merges
            i += symbol.length();
        }
        int n = initial.size();
        String[] symbols = initial.toArray(new String[0]);
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // For UNUSED pieces: how a merged piece came about, so it can be split back into its parts.
        Map<String, String[]> reverseMerges = new HashMap<>();
        PriorityQueue<Candidate> agenda = new PriorityQueue<>(PRIORITY);
        for (int i = 1; i < n; i++) {
            offer(agenda, reverseMerges, symbols, frozen, i - 1, i);
        }
        while (!agenda.isEmpty()) {
            Candidate top = agenda.poll();
            String left = symbols[top.left];
            String right = symbols[top.right];
            // Entries are never removed from the queue; one whose symbols changed since is simply skipped.
            if (left.isEmpty() || right.isEmpty() || left.length() + right.length() != top.length) {
                continue;
            }
            symbols[top.left] = left + right;
            symbols[top.right] = "";
            next[top.left] = next[top.right];
            if (next[top.right] >= 0) {
                prev[next[top.right]] = top.left;
            }
            offer(agenda, reverseMerges, symbols, frozen, prev[top.left], top.left);
            offer(agenda, reverseMerges, symbols, frozen, top.left, next[top.left]);
        }
        List<String> pieces = new ArrayList<>();
        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            resegment(symbols[i], reverseMerges, pieces);
        }
        return pieces;
    }

    private void offer(PriorityQueue<Candidate> agenda, Map<String, String[]> reverseMerges, String[] symbols,
                       List<Boolean> frozen, int left, int right) {
        if (left < 0 || right < 0 || frozen.get(left) || frozen.get(right)) {
            return;
        }
        String merged = symbols[left] + symbols[right];
        Integer id = mergeable.get(merged);
        if (id == null) {
            return;
        }
        agenda.add(new Candidate(left, right, scores[id], merged.length()));
        if (unused[id]) {
            reverseMerges.put(merged, new String[] {symbols[left], symbols[right]});
        }
    }

    /** An UNUSED piece may not be emitted: split it back, recursively, into the pieces it was merged from. */
    private void resegment(String piece, Map<String, String[]> reverseMerges, List<String> out) {
        Integer id = mergeable.get(piece);
        String[] parts = id != null && unused[id] ? reverseMerges.get(piece) : null;
        if (parts == null) {
            out.add(piece);
            return;
        }
        resegment(parts[0], reverseMerges, out);
        resegment(parts[1], reverseMerges, out);
    }

    private String userDefinedAt(String text, int index) {
        for (String piece : userDefined) {
            if (text.startsWith(piece, index)) {
                return piece;
            }
        }
        return null;
    }
}
