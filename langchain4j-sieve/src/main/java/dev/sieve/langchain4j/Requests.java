package dev.sieve.langchain4j;

import dev.langchain4j.data.image.Image;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.sieve.llava.api.Conversation;
import dev.sieve.llava.api.SieveAnswer;
import dev.sieve.llava.api.SieveException;
import dev.sieve.llava.api.SieveImage;
import dev.sieve.llava.api.SieveRequest;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** LangChain4j requests to the facade's and answers back; shared by the blocking and the streaming model. */
final class Requests {
    private Requests() {}

    static SieveRequest from(ChatRequest request, DetailBudgets budgets, int defaultMaxTokens) {
        if (request.toolSpecifications() != null && !request.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("Sieve's LLaVA models do not call tools");
        }
        Conversation conversation = new Conversation();
        SieveImage image = null;
        ImageContent.DetailLevel detail = null;
        try {
            for (ChatMessage m : request.messages()) {
                switch (m) {
                    case SystemMessage s -> conversation.system(s.text());
                    case AiMessage a -> conversation.assistant(a.text() == null ? "" : a.text());
                    case UserMessage u -> {
                        List<String> texts = new ArrayList<>();
                        boolean withImage = false;
                        for (Content c : u.contents()) {
                            switch (c) {
                                case TextContent t -> texts.add(t.text());
                                case ImageContent i -> {
                                    if (image != null) {
                                        throw new InvalidRequestException("a second image; the model takes one image per conversation");
                                    }
                                    image = image(i.image());
                                    detail = i.detailLevel();
                                    withImage = true;
                                }
                                default -> throw new UnsupportedFeatureException("content of type " + c.type() + " is not supported; give text and one image");
                            }
                        }
                        conversation.user(String.join("\n", texts), withImage);
                    }
                    default -> throw new UnsupportedFeatureException("messages of type " + m.type() + " are not supported");
                }
            }
            SieveRequest r = SieveRequest.of(image == null ? SieveImage.of(new byte[0]) : image, conversation.prompt());
            Integer max = request.maxOutputTokens();
            float temperature = request.temperature() == null ? 0 : request.temperature().floatValue();
            float topP = request.topP() == null ? 1 : request.topP().floatValue();
            return r.withPrune(budgets.prune(detail)).withMaxTokens(max == null ? defaultMaxTokens : max).withSampling(temperature, topP, 0)
                    .withStop(request.stopSequences());
        } catch (SieveException e) {
            throw new InvalidRequestException(e.getMessage());
        }
    }

    /** base64 data with its MIME type, a data: URI or a file: URL; the facade checks the bytes are PNG or JPEG. */
    private static SieveImage image(Image image) {
        if (image.base64Data() != null) {
            return SieveImage.of(decode(image.base64Data()));
        }
        URI url = image.url();
        if (url == null) {
            throw new InvalidRequestException("the image has neither base64 data nor a URL");
        }
        if ("data".equals(url.getScheme())) {
            String s = url.toString();
            int comma = s.indexOf(',');
            if (comma < 0 || !s.substring(0, comma).endsWith(";base64")) {
                throw new InvalidRequestException("a data: URI image must be base64 (data:image/png;base64,...)");
            }
            return SieveImage.of(decode(s.substring(comma + 1)));
        }
        if ("file".equals(url.getScheme())) {
            return SieveImage.of(Path.of(url));
        }
        throw new InvalidRequestException("image URL " + url + ": Sieve does not fetch URLs; give base64 data or a file: URL");
    }

    private static byte[] decode(String base64) {
        try {
            return Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("the image's base64 data is malformed: " + e.getMessage());
        }
    }

    static ChatResponse response(SieveAnswer a, String modelName) {
        FinishReason finish = "length".equals(a.finishReason()) ? FinishReason.LENGTH : FinishReason.STOP;
        TokenUsage usage = new TokenUsage(a.usage().promptTokens(), a.usage().completionTokens());
        return ChatResponse.builder().aiMessage(AiMessage.from(a.text()))
                .metadata(SieveChatResponseMetadata.sieveBuilder().answer(a).modelName(modelName).tokenUsage(usage).finishReason(finish).build())
                .build();
    }

    /** The facade's refusals as LangChain4j's: bad input is an InvalidRequestException with the same one-line message. */
    static RuntimeException translate(Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof SieveException s && s.kind() != SieveException.Kind.INVALID_MODEL) {
            return new InvalidRequestException(s.getMessage());
        }
        return cause instanceof RuntimeException r ? r : new RuntimeException(cause);
    }
}
