package dev.sieve.llava;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;

/**
 * One-line messages for JSON files that cannot be read. Jackson's {@code getMessage()} appends its
 * location on a second line ("at [Source: REDACTED ...; line: 2, column: 1]"); errors here are one line.
 */
public final class JsonMessages {
    private JsonMessages() {}

    /** Jackson's own message and, when known, "at line L, column C"; any other I/O error's message on one line. */
    public static String oneLine(IOException e) {
        if (e instanceof JsonProcessingException json) {
            JsonLocation at = json.getLocation();
            String where = at == null || at.getLineNr() < 0 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            return flat(json.getOriginalMessage()) + where;
        }
        return flat(String.valueOf(e.getMessage()));
    }

    private static String flat(String message) {
        // Jackson names a nested location as "[Source: REDACTED (...); line: 1, column: 1]": keep the line and column.
        return message.replaceAll("\\s*\\R\\s*", " ").replaceAll("\\[Source: [^\\]]*?; (line: \\d+, column: \\d+)]", "[$1]").strip();
    }
}
