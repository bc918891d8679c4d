package dev.sieve.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.sieve.llava.api.Sieve;
import dev.sieve.llava.api.SieveAnswer;
import dev.sieve.llava.api.SieveImage;
import dev.sieve.llava.api.SieveOptions;
import dev.sieve.llava.api.SieveRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The LangChain4j models in-process: images as base64 or file URLs, detail levels as pruning budgets, streaming. */
class SieveChatModelTest {
    static final Path MODEL = Path.of(System.getProperty("sieve.repo.dir", "..")).toAbsolutePath().normalize().resolve("models/shapes-llava");
    static final Path PNG = MODEL.resolve("samples/000001.png");
    static final String QUESTION = "How many circles are there?";
    static Sieve sieve;
    static String base64;

    @BeforeAll
    static void open() throws IOException {
        sieve = Sieve.open(MODEL, SieveOptions.defaults().withThreads(2));
        base64 = Base64.getEncoder().encodeToString(Files.readAllBytes(PNG));
    }

    @AfterAll
    static void close() {
        sieve.close();
    }

    static SieveAnswer facade(String prune) {
        return sieve.ask(SieveRequest.of(SieveImage.of(PNG), QUESTION).withPrune(prune).withMaxTokens(8));
    }

    static ChatRequest request(ImageContent image) {
        return ChatRequest.builder().messages(UserMessage.from(image, TextContent.from(QUESTION))).maxOutputTokens(8).build();
    }

    @Test
    void answersAsTheFacadeDoesForBase64AndFileImages() {
        ChatModel model = SieveChatModel.builder().sieve(sieve).build();
        SieveAnswer expected = facade("none");
        ChatResponse viaBase64 = model.chat(request(ImageContent.from(base64, "image/png", ImageContent.DetailLevel.HIGH)));
        ChatResponse viaFile = model.chat(request(ImageContent.from(PNG.toUri(), ImageContent.DetailLevel.HIGH)));
        assertThat(viaBase64.aiMessage().text()).isEqualTo(expected.text()).isNotBlank();
        assertThat(viaFile.aiMessage().text()).isEqualTo(expected.text());
        assertThat(viaBase64.tokenUsage().inputTokenCount()).isEqualTo(expected.usage().promptTokens());
        assertThat(viaBase64.tokenUsage().outputTokenCount()).isEqualTo(expected.usage().completionTokens());
        assertThat(viaBase64.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(viaBase64.metadata().modelName()).isEqualTo("shapes-llava");
    }

    @Test
    void detailLevelsChooseThePruningBudget() {
        ChatModel model = SieveChatModel.builder().sieve(sieve).build();
        // LangChain4j's ImageContent defaults to DetailLevel.LOW, so an image without a level is pruned to the LOW budget.
        assertThat(ImageContent.from(base64, "image/png").detailLevel()).isEqualTo(ImageContent.DetailLevel.LOW);
        SieveAnswer byDefault = ((SieveChatResponseMetadata) model.chat(request(ImageContent.from(base64, "image/png"))).metadata()).answer();
        assertThat(byDefault.prune()).isEqualTo(DetailBudgets.LOW);
        SieveAnswer low = ((SieveChatResponseMetadata) model.chat(request(ImageContent.from(base64, "image/png", ImageContent.DetailLevel.LOW)))
                .metadata()).answer();
        assertThat(low.prune()).isEqualTo(DetailBudgets.LOW);
        assertThat(low.usage().visualTokensKept()).isEqualTo(18);
        assertThat(low.text()).isEqualTo(facade(DetailBudgets.LOW).text());
        SieveAnswer high = ((SieveChatResponseMetadata) model.chat(request(ImageContent.from(base64, "image/png", ImageContent.DetailLevel.HIGH)))
                .metadata()).answer();
        assertThat(high.usage().visualTokensKept()).isEqualTo(144);
        ChatModel custom = SieveChatModel.builder().sieve(sieve).detailBudgets(new DetailBudgets("fastv:k=2,keep=8", "none", "divprune:keep=32")).build();
        SieveAnswer auto = ((SieveChatResponseMetadata) custom.chat(request(ImageContent.from(base64, "image/png", ImageContent.DetailLevel.AUTO)))
                .metadata()).answer();
        assertThat(auto.prune()).isEqualTo("divprune:keep=32");
        assertThat(auto.usage().visualTokensKept()).isEqualTo(32);
    }

    @Test
    void streamingPiecesAddUpToTheCompleteResponse() {
        StreamingChatModel model = SieveChatModel.builder().sieve(sieve).buildStreaming();
        StringBuilder pieces = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(request(ImageContent.from(base64, "image/png")), new StreamingChatResponseHandler() {
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
        ChatResponse r = done.join();
        assertThat(pieces.toString()).isEqualTo(r.aiMessage().text()).isEqualTo(facade(DetailBudgets.LOW).text());
    }

    @Test
    void aSystemMessageAndBadRequestsMapToLangChain4j() {
        ChatModel model = SieveChatModel.builder().sieve(sieve).build();
        ChatResponse withSystem = model.chat(ChatRequest.builder().messages(SystemMessage.from("Answer in one word."),
                UserMessage.from(ImageContent.from(base64, "image/png"), TextContent.from(QUESTION))).maxOutputTokens(8).build());
        assertThat(withSystem.aiMessage().text()).isEqualTo(sieve.ask(SieveRequest.of(SieveImage.of(PNG),
                "Answer in one word. USER: <image>\n" + QUESTION + " ASSISTANT:").withMaxTokens(8)).text());
        assertThatThrownBy(() -> model.chat(UserMessage.from("no image here"))).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("no image");
        assertThatThrownBy(() -> model.chat(request(ImageContent.from("aGVsbG8=", "image/png")))).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("not a PNG or JPEG");
        assertThatThrownBy(() -> model.chat(request(ImageContent.from(java.net.URI.create("https://example.com/a.png")))))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("does not fetch URLs");
        assertThatThrownBy(() -> model.chat(ChatRequest.builder().messages(UserMessage.from(ImageContent.from(base64, "image/png"),
                TextContent.from(QUESTION))).maxOutputTokens(100000).build())).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("max_tokens");
    }
}
