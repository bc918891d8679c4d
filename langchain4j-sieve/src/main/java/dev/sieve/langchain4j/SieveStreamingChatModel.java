package dev.sieve.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.sieve.llava.api.Sieve;

/**
 * LangChain4j's {@link StreamingChatModel} in-process over a {@link Sieve}: as {@link SieveChatModel}, with the answer's
 * text given to {@code onPartialResponse} as it is decoded (the pieces add up to the complete response's text).
 * The handler is called on the model's decoding thread: keep it quick, since every running request waits for it.
 * Build it with {@code SieveChatModel.builder()...buildStreaming()}.
 */
public final class SieveStreamingChatModel implements StreamingChatModel {
    private final Sieve sieve;
    private final DetailBudgets budgets;
    private final int maxTokens;

    SieveStreamingChatModel(SieveChatModel.Builder b) {
        this.sieve = java.util.Objects.requireNonNull(b.sieve, "sieve");
        this.budgets = b.budgets;
        this.maxTokens = b.maxTokens;
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        try {
            sieve.submit(Requests.from(request, budgets, maxTokens), handler::onPartialResponse).answer().whenComplete((a, e) -> {
                if (e != null) {
                    handler.onError(Requests.translate(e));
                } else {
                    handler.onCompleteResponse(Requests.response(a, sieve.info().name()));
                }
            });
        } catch (RuntimeException e) {
            handler.onError(Requests.translate(e));
        }
    }
}
