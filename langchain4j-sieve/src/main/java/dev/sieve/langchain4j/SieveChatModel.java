package dev.sieve.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.sieve.llava.api.Sieve;
import java.util.Objects;

/**
 * LangChain4j's {@link ChatModel} in-process over a {@link Sieve}: user messages with text and one
 * {@code ImageContent} (base64 data, a data: URI or a file: URL), the image's detail level choosing the pruning
 * ({@link DetailBudgets}). Temperature, top-p, max output tokens and stop sequences are honoured; greedy unless a
 * temperature is given. Thread-safe, as the facade is: concurrent calls decode together.
 *
 * <pre>{@code
 * try (Sieve sieve = Sieve.open(Path.of("models/shapes-llava"))) {
 *     ChatModel model = SieveChatModel.builder().sieve(sieve).build();
 *     String answer = model.chat(UserMessage.from(ImageContent.from(base64Png, "image/png", ImageContent.DetailLevel.LOW),
 *             TextContent.from("How many circles are there?"))).aiMessage().text();
 * }
 * }</pre>
 */
public final class SieveChatModel implements ChatModel {
    private final Sieve sieve;
    private final DetailBudgets budgets;
    private final int maxTokens;

    SieveChatModel(Builder b) {
        this.sieve = Objects.requireNonNull(b.sieve, "sieve");
        this.budgets = b.budgets;
        this.maxTokens = b.maxTokens;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        try {
            return Requests.response(sieve.ask(Requests.from(request, budgets, maxTokens)), sieve.info().name());
        } catch (RuntimeException e) {
            throw Requests.translate(e);
        }
    }

    /** Options shared by {@link SieveChatModel} and {@link SieveStreamingChatModel}. */
    public static final class Builder {
        Sieve sieve;
        DetailBudgets budgets = DetailBudgets.defaults();
        int maxTokens;

        /** The opened model (the caller closes it; several chat models may share one). */
        public Builder sieve(Sieve s) {
            this.sieve = s;
            return this;
        }

        /** Pruning per detail level (default {@link DetailBudgets#defaults()}). */
        public Builder detailBudgets(DetailBudgets b) {
            this.budgets = Objects.requireNonNull(b, "budgets");
            return this;
        }

        /** New tokens when a request gives no max output tokens; 0 (the default) for as many as the context leaves. */
        public Builder maxTokens(int n) {
            this.maxTokens = n;
            return this;
        }

        public SieveChatModel build() {
            return new SieveChatModel(this);
        }

        public SieveStreamingChatModel buildStreaming() {
            return new SieveStreamingChatModel(this);
        }
    }
}
