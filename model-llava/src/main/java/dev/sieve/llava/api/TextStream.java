package dev.sieve.llava.api;

import dev.sieve.llava.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The answer text of a request as its tokens arrive: decoded in full each time (a token's text can depend
 * on the ones before it, as SentencePiece's byte fallback does), cut at the first stop string, and streamed
 * in pieces whose concatenation is exactly the final text. A piece is held back while it could still change:
 * trailing blanks (the final text is stripped), an incomplete UTF-8 character, or the start of a stop string.
 */
final class TextStream {
    private final Tokenizer tokenizer;
    private final List<String> stop;
    private final Consumer<String> sink;
    private int[] tokens = new int[16];
    private int count;
    private String text = "";
    private String emitted = "";
    private boolean stopped;

    TextStream(Tokenizer tokenizer, List<String> stop, Consumer<String> sink) {
        this.tokenizer = tokenizer;
        this.stop = stop;
        this.sink = sink;
    }

    /** Takes the next generated token; returns true when the answer is complete (end of sequence or a stop string). */
    boolean add(int token) {
        if (token == tokenizer.eosId()) {
            return true;
        }
        if (count == tokens.length) {
            tokens = Arrays.copyOf(tokens, count * 2);
        }
        tokens[count++] = token;
        String decoded = tokenizer.decode(Arrays.copyOf(tokens, count));
        int cut = -1;
        for (String s : stop) {
            int at = decoded.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            text = decoded.substring(0, cut);
            stopped = true;
            return true;
        }
        text = decoded;
        emit(safePrefix(decoded.stripLeading()));
        return false;
    }

    /** Streams what is left of the final text and returns it. */
    String finish() {
        String last = text.strip();
        emit(last);
        return last;
    }

    boolean stopped() {
        return stopped;
    }

    private void emit(String prefix) {
        if (prefix.length() > emitted.length() && prefix.startsWith(emitted)) {
            String piece = prefix.substring(emitted.length());
            emitted = prefix;
            sink.accept(piece);
        }
    }

    private String safePrefix(String s) {
        int end = s.length();
        while (end > 0 && (Character.isWhitespace(s.charAt(end - 1)) || s.charAt(end - 1) == '\uFFFD')) {
            end--;
        }
        int hold = 0;
        for (String st : stop) {
            for (int k = Math.min(st.length() - 1, end); k > hold; k--) {
                if (s.startsWith(st.substring(0, k), end - k)) {
                    hold = k;
                    break;
                }
            }
        }
        return s.substring(0, end - hold);
    }
}
