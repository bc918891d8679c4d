package dev.sieve.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.sieve.llava.api.SieveAnswer;

/** LangChain4j's response metadata plus Sieve's own account of the answer: pruning, visual tokens kept, timings, FLOPs. */
public final class SieveChatResponseMetadata extends ChatResponseMetadata {
    private final SieveAnswer answer;

    private SieveChatResponseMetadata(Builder builder) {
        super(builder);
        this.answer = builder.answer;
    }

    /** The facade's answer behind this response ({@code answer().usage().visualTokensKept()}, {@code answer().prune()}, ...). */
    public SieveAnswer answer() {
        return answer;
    }

    static Builder sieveBuilder() {
        return new Builder();
    }

    static final class Builder extends ChatResponseMetadata.Builder<Builder> {
        private SieveAnswer answer;

        Builder answer(SieveAnswer a) {
            this.answer = a;
            return this;
        }

        @Override
        public SieveChatResponseMetadata build() {
            return new SieveChatResponseMetadata(this);
        }
    }
}
