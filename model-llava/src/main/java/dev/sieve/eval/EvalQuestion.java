package dev.sieve.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of an evaluation JSONL: {@code {"image": PATH, "question": TEXT, "answer": TEXT}} with
 * optional {@code "kind"} (for a per-kind breakdown). Image paths are relative to the JSONL file.
 */
public record EvalQuestion(Path image, String question, String answer, String kind) {

    /** Reads up to {@code limit} questions (all when limit is 0); a bad line is one clear error naming file and line. */
    public static List<EvalQuestion> read(Path jsonl, int limit) {
        ObjectMapper json = new ObjectMapper();
        List<EvalQuestion> questions = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(jsonl + ": cannot read: " + e.getMessage(), e);
        }
        Path base = jsonl.toAbsolutePath().getParent();
        for (int i = 0; i < lines.size() && (limit == 0 || questions.size() < limit); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode row;
            try {
                row = json.readTree(lines.get(i));
            } catch (IOException e) {
                throw new IllegalArgumentException(jsonl + ":" + (i + 1) + ": not a JSON object");
            }
            for (String field : new String[] {"image", "question", "answer"}) {
                if (row == null || !row.path(field).isTextual()) {
                    throw new IllegalArgumentException(jsonl + ":" + (i + 1) + ": needs a string field \"" + field + "\"");
                }
            }
            Path image = base.resolve(row.get("image").asText());
            questions.add(new EvalQuestion(image, row.get("question").asText(), row.get("answer").asText(),
                    row.path("kind").isTextual() ? row.get("kind").asText() : ""));
        }
        if (questions.isEmpty()) {
            throw new IllegalArgumentException(jsonl + ": no questions");
        }
        return questions;
    }

    /**
     * Whether a generated answer counts as this question's answer: equal after lower-casing and trimming
     * spaces and final punctuation, or — for one-word references — equal in its first word
     * ("Red." and "red, I think" both match "red").
     */
    public boolean matches(String generated) {
        String got = normalise(generated);
        String want = normalise(answer);
        if (got.equals(want)) {
            return true;
        }
        String firstWord = got.split("[\\s,.;:!?]+", 2)[0];
        return !want.contains(" ") && firstWord.equals(want);
    }

    static String normalise(String s) {
        return s.strip().toLowerCase(java.util.Locale.ROOT).replaceAll("[.!?]+$", "").strip();
    }
}
