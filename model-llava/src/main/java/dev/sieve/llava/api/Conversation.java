package dev.sieve.llava.api;

/**
 * A multi-turn conversation in LLaVA-1.5's template, for clients that speak in messages (the OpenAI server,
 * LangChain4j): {@code [system ]USER: <image>\n{text} ASSISTANT: {answer} USER: {text} ASSISTANT:}. The image goes in
 * the user turn that carries it. One user turn with the image gives exactly {@link Sieve#llava15Prompt}'s prompt.
 * Not thread-safe; build one per request.
 */
public final class Conversation {
    private final StringBuilder system = new StringBuilder();
    private final StringBuilder turns = new StringBuilder();
    private boolean image;
    private boolean userLast;

    /** System text, before the conversation (LLaVA-1.5 has no system role: it is plain text ahead of the first turn). */
    public Conversation system(String text) {
        if (!turns.isEmpty()) {
            throw SieveException.invalid("messages", "a system message must come before the conversation");
        }
        system.append(text).append(' ');
        return this;
    }

    public Conversation user(String text, boolean withImage) {
        if (withImage && image) {
            throw SieveException.invalid("messages", "a second image; the model takes one image per conversation");
        }
        image |= withImage;
        turns.append(turns.isEmpty() ? "" : " ").append("USER: ").append(withImage ? "<image>\n" : "").append(text).append(" ASSISTANT:");
        userLast = true;
        return this;
    }

    public Conversation assistant(String text) {
        if (turns.isEmpty()) {
            throw SieveException.invalid("messages", "the conversation must start with the user");
        }
        turns.append(' ').append(text);
        userLast = false;
        return this;
    }

    /** The prompt for {@link SieveRequest}; the conversation must hold the image and end with the user. */
    public String prompt() {
        if (!image) {
            throw SieveException.invalid("messages", "no image: the model answers about one image");
        }
        if (!userLast) {
            throw SieveException.invalid("messages", "the last message must be the user's");
        }
        return system + turns.toString();
    }
}
