package dev.sieve.langchain4j;

import dev.langchain4j.data.message.ImageContent;

/**
 * How an image's {@link ImageContent.DetailLevel} becomes a pruning spec. LangChain4j's {@code ImageContent} defaults to
 * {@code LOW}, so images are pruned to the LOW budget unless the caller asks for {@code HIGH}. The defaults:
 * <ul>
 *   <li>{@code LOW}: {@value #LOW} — VisPruner keeps an eighth of the visual tokens (18 of the bundled model's 144,
 *       72 of LLaVA-1.5-7B's 576), the budget at which the pruning papers still keep most of the accuracy;</li>
 *   <li>{@code HIGH}: {@code none} — every visual token;</li>
 *   <li>{@code MEDIUM}, {@code AUTO} or no level: the {@code auto} spec, {@code none} unless set.</li>
 * </ul>
 *
 * @param low spec for {@code DetailLevel.LOW}
 * @param high spec for {@code DetailLevel.HIGH}
 * @param auto spec for {@code DetailLevel.MEDIUM}, {@code AUTO} and images without a level
 */
public record DetailBudgets(String low, String high, String auto) {
    public static final String LOW = "vispruner:keep=0.125";

    public static DetailBudgets defaults() {
        return new DetailBudgets(LOW, "none", "none");
    }

    String prune(ImageContent.DetailLevel level) {
        if (level == null) {
            return auto;
        }
        return switch (level) {
            case LOW -> low;
            case HIGH, ULTRA_HIGH -> high;
            default -> auto;
        };
    }
}
