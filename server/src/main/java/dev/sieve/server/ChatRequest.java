package dev.sieve.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sieve.llava.api.Conversation;
import dev.sieve.llava.api.SieveException;
import dev.sieve.llava.api.SieveImage;
import dev.sieve.llava.api.SieveRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * An OpenAI chat completion request turned into a {@link SieveRequest}: every field checked for its type and
 * range, with a one-line {@link ApiError} naming the field otherwise. Fields OpenAI clients send that do not
 * change a LLaVA answer (user, presence_penalty, logprobs, ...) are accepted and ignored.
 *
 * <p>The messages become LLaVA-1.5's template ({@link Conversation}); a single user message with one image and its
 * text gives exactly the prompt {@code sieve run} uses.
 */
record ChatRequest(SieveRequest request, boolean stream, boolean includeUsage) {

    /** Parses {@code root}; local image paths are accepted only when {@code allowLocalImages}. */
    static ChatRequest parse(JsonNode root, String defaultPrune, boolean allowLocalImages) {
        if (root == null || !root.isObject()) {
            throw ApiError.invalid(null, "the request body must be a JSON object");
        }
        JsonNode messages = root.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiError.invalid("messages", "messages must be a non-empty array");
        }
        Conversation conversation = new Conversation();
        SieveImage image = null;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiError.invalid(where, where + " must be an object with role and content");
            }
            String role = text(m, "role", where + ".role", true);
            try {
                switch (role) {
                    case "system", "developer" -> conversation.system(textOnly(m.get("content"), where + ".content"));
                    case "user" -> {
                        Parts parts = parts(m.get("content"), where + ".content", allowLocalImages);
                        if (parts.image != null && image != null) {
                            throw ApiError.invalid(where + ".content", where + ": a second image; the model takes one image per conversation");
                        }
                        image = parts.image != null ? parts.image : image;
                        conversation.user(parts.text, parts.image != null);
                    }
                    case "assistant" -> conversation.assistant(textOnly(m.get("content"), where + ".content"));
                    default -> throw ApiError.invalid(where + ".role", where + ".role '" + role + "' must be system, user or assistant");
                }
            } catch (SieveException e) {
                throw ApiError.invalid(where + ".role", where + ": " + e.getMessage());
            }
        }
        String prompt;
        try {
            prompt = conversation.prompt();
        } catch (SieveException e) {
            throw ApiError.invalid(e.getMessage().startsWith("no image") ? "messages" : "messages[" + (messages.size() - 1) + "].role",
                    e.getMessage() + (e.getMessage().startsWith("no image") ? " (an image_url content part with a data: URI)" : ""));
        }
        SieveRequest r = SieveRequest.of(image, prompt);
        r = r.withMaxTokens(maxTokens(root));
        // Greedy unless asked (OpenAI's default is 1): answers then equal sieve run's and repeat exactly.
        float temperature = number(root, "temperature", 0, 0, 2);
        float topP = number(root, "top_p", 1, Float.MIN_VALUE, 1);
        long seed = 0;
        if (present(root, "seed")) {
            if (!root.get("seed").canConvertToLong() || !root.get("seed").isIntegralNumber()) {
                throw ApiError.invalid("seed", "seed must be an integer");
            }
            seed = root.get("seed").asLong();
        }
        r = r.withSampling(temperature, topP, seed).withStop(stop(root)).withPrune(prune(root, defaultPrune));
        if (present(root, "n") && !(root.get("n").isIntegralNumber() && root.get("n").asInt() == 1)) {
            throw ApiError.invalid("n", "n must be 1 (one choice per request)");
        }
        boolean stream = bool(root, "stream");
        JsonNode options = root.get("stream_options");
        boolean includeUsage = options != null && options.isObject() && options.path("include_usage").asBoolean(false);
        return new ChatRequest(r, stream, includeUsage);
    }

    private record Parts(String text, SieveImage image) {}

    private static Parts parts(JsonNode content, String where, boolean allowLocalImages) {
        if (content != null && content.isTextual()) {
            return new Parts(content.asText(), null);
        }
        if (content == null || !content.isArray()) {
            throw ApiError.invalid(where, where + " must be a string or an array of content parts");
        }
        List<String> texts = new ArrayList<>();
        SieveImage image = null;
        for (int j = 0; j < content.size(); j++) {
            JsonNode part = content.get(j);
            String at = where + "[" + j + "]";
            if (!part.isObject()) {
                throw ApiError.invalid(at, at + " must be an object with a type");
            }
            String type = text(part, "type", at + ".type", true);
            switch (type) {
                case "text" -> texts.add(text(part, "text", at + ".text", true));
                case "image_url" -> {
                    if (image != null) {
                        throw ApiError.invalid(at, at + ": a second image; the model takes one image per conversation");
                    }
                    JsonNode url = part.get("image_url");
                    String u = url != null && url.isObject() ? text(url, "url", at + ".image_url.url", true)
                            : url != null && url.isTextual() ? url.asText() : null;
                    if (u == null) {
                        throw ApiError.invalid(at + ".image_url", at + ".image_url must be an object with a url");
                    }
                    image = image(u, at + ".image_url.url", allowLocalImages);
                }
                default -> throw ApiError.invalid(at + ".type", at + ".type '" + type + "' must be text or image_url");
            }
        }
        return new Parts(String.join("\n", texts), image);
    }

    private static SieveImage image(String url, String where, boolean allowLocalImages) {
        if (url.startsWith("data:")) {
            int comma = url.indexOf(',');
            String header = comma < 0 ? "" : url.substring(5, comma).toLowerCase(java.util.Locale.ROOT);
            if (!header.equals("image/png;base64") && !header.equals("image/jpeg;base64") && !header.equals("image/jpg;base64")) {
                throw ApiError.invalid(where, where + ": a data URI must be data:image/png;base64,... or data:image/jpeg;base64,...");
            }
            try {
                return SieveImage.of(Base64.getMimeDecoder().decode(url.substring(comma + 1)));
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid(where, where + ": the base64 data is malformed: " + e.getMessage());
            }
        }
        boolean local = url.startsWith("file:") || url.startsWith("/");
        if (local && allowLocalImages) {
            try {
                return SieveImage.of(url.startsWith("file:") ? Path.of(java.net.URI.create(url)) : Path.of(url));
            } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
                throw ApiError.invalid(where, where + ": not a usable file URL: " + e.getMessage());
            }
        }
        if (local) {
            throw ApiError.invalid(where, where + ": local image paths are refused unless the server runs with --allow-local-images");
        }
        throw ApiError.invalid(where, where + ": the server does not fetch URLs; send the image as a data:image/png;base64 or data:image/jpeg;base64 URI");
    }

    private static String textOnly(JsonNode content, String where) {
        Parts p = parts(content, where, false);
        if (p.image != null) {
            throw ApiError.invalid(where, where + ": only user messages may hold images");
        }
        return p.text;
    }

    private static int maxTokens(JsonNode root) {
        String field = present(root, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        if (!present(root, field)) {
            return 0;
        }
        JsonNode n = root.get(field);
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 1) {
            throw ApiError.invalid(field, field + " must be an integer >= 1, got " + n);
        }
        return n.asInt();
    }

    private static List<String> stop(JsonNode root) {
        if (!present(root, "stop")) {
            return List.of();
        }
        JsonNode s = root.get("stop");
        if (s.isTextual()) {
            return List.of(s.asText());
        }
        if (!s.isArray()) {
            throw ApiError.invalid("stop", "stop must be a string or an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : s) {
            if (!e.isTextual()) {
                throw ApiError.invalid("stop", "stop must be a string or an array of strings");
            }
            out.add(e.asText());
        }
        return out;
    }

    private static String prune(JsonNode root, String defaultPrune) {
        JsonNode sieve = root.get("sieve");
        if (sieve == null || sieve.isNull()) {
            return defaultPrune;
        }
        if (!sieve.isObject()) {
            throw ApiError.invalid("sieve", "sieve must be an object such as {\"prune\": \"vispruner:keep=16\"}");
        }
        // Sieve's own object, unlike OpenAI's top level (whose unknown fields clients send and servers ignore): a misspelt key is an error.
        for (var names = sieve.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("prune")) {
                throw ApiError.invalid("sieve." + name, "sieve." + name + " is not a Sieve option; the sieve object takes prune");
            }
        }
        JsonNode prune = sieve.get("prune");
        if (prune == null || prune.isNull()) {
            return defaultPrune;
        }
        if (!prune.isTextual()) {
            throw ApiError.invalid("sieve.prune", "sieve.prune must be a string such as \"vispruner:keep=16\"");
        }
        return prune.asText();
    }

    private static boolean present(JsonNode root, String field) {
        return root.has(field) && !root.get(field).isNull();
    }

    private static String text(JsonNode node, String field, String where, boolean required) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw ApiError.invalid(where, where + " is missing");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw ApiError.invalid(where, where + " must be a string");
        }
        return v.asText();
    }

    private static float number(JsonNode root, String field, float fallback, float min, float max) {
        if (!present(root, field)) {
            return fallback;
        }
        JsonNode n = root.get(field);
        double v = n.asDouble();
        if (!n.isNumber() || !(v >= min && v <= max)) {
            throw ApiError.invalid(field, field + " must be a number in [" + (min == Float.MIN_VALUE ? "0 exclusive" : min) + ", " + max
                    + "], got " + n);
        }
        return (float) v;
    }

    private static boolean bool(JsonNode root, String field) {
        if (!present(root, field)) {
            return false;
        }
        if (!root.get(field).isBoolean()) {
            throw ApiError.invalid(field, field + " must be true or false");
        }
        return root.get(field).asBoolean();
    }
}
