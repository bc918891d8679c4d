package dev.sieve.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.sieve.llava.api.Sieve;
import dev.sieve.llava.api.SieveImage;
import dev.sieve.llava.api.SieveOptions;
import dev.sieve.llava.api.SieveRequest;
import dev.sieve.server.SieveServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** LangChain4j's own OpenAI chat models, unchanged, against sieve serve on loopback. */
class OpenAiClientAgainstServerTest {
    static final Path MODEL = SieveChatModelTest.MODEL;

    @Test
    void openAiChatModelsWorkAgainstTheServerUnchanged() throws Exception {
        java.util.logging.Logger helidon = java.util.logging.Logger.getLogger("io.helidon");
        helidon.setLevel(java.util.logging.Level.WARNING);
        String base64 = Base64.getEncoder().encodeToString(Files.readAllBytes(SieveChatModelTest.PNG));
        UserMessage question = UserMessage.from(ImageContent.from(base64, "image/png"), TextContent.from(SieveChatModelTest.QUESTION));
        try (SieveServer server = SieveServer.start(new SieveServer.Config(MODEL, "127.0.0.1", 0, SieveOptions.defaults().withThreads(2), 8, false));
             Sieve facade = Sieve.open(MODEL, SieveOptions.defaults().withThreads(1))) {
            server.loaded().join();
            String expected = facade.ask(SieveRequest.of(SieveImage.of(SieveChatModelTest.PNG), SieveChatModelTest.QUESTION).withMaxTokens(8)).text();
            String baseUrl = "http://127.0.0.1:" + server.port() + "/v1";

            OpenAiChatModel openAi = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("not-needed").modelName("shapes-llava").maxTokens(8)
                    .temperature(0.0).build();
            ChatResponse r = openAi.chat(question);
            assertThat(r.aiMessage().text()).isEqualTo(expected).isNotBlank();
            assertThat(r.tokenUsage().outputTokenCount()).isPositive();

            OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(baseUrl).apiKey("not-needed").modelName("shapes-llava")
                    .maxTokens(8).temperature(0.0).build();
            StringBuilder pieces = new StringBuilder();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            streaming.chat(java.util.List.of(question), new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(String partial) {
                    pieces.append(partial);
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    done.complete(response);
                }

                @Override
                public void onError(Throwable error) {
                    done.completeExceptionally(error);
                }
            });
            ChatResponse s = done.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(pieces.toString()).isEqualTo(expected);
            assertThat(s.aiMessage().text()).isEqualTo(expected);
        }
    }
}
