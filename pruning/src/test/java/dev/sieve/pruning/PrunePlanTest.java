package dev.sieve.pruning;

import static dev.sieve.pruning.Shapes.LLAVA_7B;
import static dev.sieve.pruning.Shapes.stage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.PositionRule;
import org.junit.jupiter.api.Test;

/** Specs to stages through the registry, and the plan rules: flow order, merges, positions, the model's bounds. */
class PrunePlanTest {
    @Test
    void buildsEveryMethodWithCountsAndRatios() {
        assertThat(stage("fastv:k=2,keep=288")).isEqualTo(new FastV(2, 288));
        assertThat(stage("FastV:k=3, keep=0.25")).isEqualTo(new FastV(3, 144));
        assertThat(PrunePlan.parse("none", LLAVA_7B).isEmpty()).isTrue();
        assertThat(stage("vispruner:keep=64,important=0.75")).isEqualTo(new VisPruner(64, 0.75));
        assertThat(stage("vispruner:keep=0.25")).isEqualTo(new VisPruner(144, 0.5));
        assertThat(stage("fastervlm:keep=64")).isEqualTo(new FasterVlm(64));
        assertThat(stage("divprune:keep=64")).isEqualTo(new DivPrune(64));
        assertThat(stage("pdrop:layers=8/16/24,ratios=0.5/0.25/0.125")).isEqualTo(new PyramidDrop(new int[] {8, 16, 24}, new double[] {0.5, 0.25, 0.125}));
        assertThat(stage("visionzip:dominant=54,contextual=10")).isEqualTo(new VisionZip(54, 10));
        assertThat(stage("visionzip:keep=64")).isEqualTo(new VisionZip(54, 10));
        assertThat(stage("ivtp-vit:keep=288")).isEqualTo(new IvtpVit(288, 3, 0));
        assertThat(stage("ivtp-vit:keep=0.25,group=4,from=2")).isEqualTo(new IvtpVit(144, 4, 2));
        assertThat(stage("ivtp:k=8,keep=0.25")).isEqualTo(new Ivtp(8, 144));
        assertThat(stage("ivtp:k=8,keep=0.5,k2=16,keep2=0.25")).isEqualTo(new Ivtp(8, 288, new int[] {7}, new double[] {1}, 16, 144));
        assertThat(stage("ivtp:k=8,keep=64,layers=5/7,weights=0.25/0.75")).isEqualTo(new Ivtp(8, 64, new int[] {5, 7}, new double[] {0.25, 0.75}));
        assertThat(stage("ivtp:k=8,keep=64,layers=6/7")).isEqualTo(new Ivtp(8, 64, new int[] {6, 7}, new double[] {1, 1}));
    }

    @Test
    void refusesBadOptionsInOneLineNamingTheMethodAndTheRule() {
        assertThatThrownBy(() -> stage("pdrop:layers=8/40,ratios=0.5/0.25")).hasMessageContaining("below");
        assertThatThrownBy(() -> stage("pdrop:layers=8/16,ratios=0.25/0.5")).hasMessageContaining("non-increasing");
        assertThatThrownBy(() -> stage("visionzip:dominant=54")).hasMessageContaining("missing contextual=");
        assertThatThrownBy(() -> stage("ivtp:k=8,keep=64,k2=16,keep2=65")).hasMessageContaining("keep2=65 must not exceed keep=64");
        assertThatThrownBy(() -> stage("ivtp:k=8,keep=64,k2=8,keep2=32")).hasMessageContaining("k2=8 must be between k+1=9 and 31");
        assertThatThrownBy(() -> stage("ivtp:k=8,keep=64,k2=16")).hasMessageContaining("needs both k2= and keep2=");
        assertThatThrownBy(() -> stage("ivtp:k=8,keep=64,layers=6/8")).hasMessageContaining("ascending and between 0 and k-1=7");
        assertThatThrownBy(() -> stage("ivtp:k=8,keep=64,layers=6/7,weights=1")).hasMessageContaining("one weight per layer");
        assertThatThrownBy(() -> stage("ivtp:k=8,keep=64,weights=1")).hasMessageContaining("needs layers=");
        assertThatThrownBy(() -> stage("vispruner:keep=8,important=2")).hasMessageContaining("ratio");
        assertThatThrownBy(() -> stage("fastv:k=2")).hasMessageContaining("missing keep=").hasMessageContaining("k=K,keep=N|RATIO");
        assertThatThrownBy(() -> stage("fastv:k=2,keep=8,foo=1")).hasMessageContaining("unknown key 'foo'");
        assertThatThrownBy(() -> stage("fastv:k2")).hasMessageContaining("not key=value");
        assertThatThrownBy(() -> stage("fastv:k=2,keep=600")).hasMessageContaining("outside 0..576");
        assertThatThrownBy(() -> stage("fastv:k=32,keep=8")).hasMessageContaining("between 1 and 31");
        assertThatThrownBy(() -> stage("fastv:k=2,keep=8.5")).hasMessageContaining("whole number");
        assertThatThrownBy(() -> stage("fastv:k=2,keep=8,keep=9")).hasMessageContaining("given twice");
        assertThatThrownBy(() -> PruneSpec.parse("lvpruning2:keep=64")).hasMessageContaining("unknown method 'lvpruning2'")
                .hasMessageContaining("fastv:k=K,keep=N|RATIO").hasMessageContaining("ivtp-vit:keep=N|RATIO");
        assertThatThrownBy(() -> PruneSpec.parse("none:positions=original")).hasMessageContaining("none takes no options");
        assertThatThrownBy(() -> PruneSpec.parseAll("none+fastv:k=2,keep=4")).hasMessageContaining("'none' cannot be combined");
        assertThatThrownBy(() -> PruneSpec.parseAll("fastv:k=2,keep=4+")).hasMessageContaining("needs a method name");
        assertThatThrownBy(() -> PruneSpec.parse("fastv:k=2,keep=64,positions=shifted")).hasMessageContaining("positions=shifted must be original or reindex");
    }

    @Test
    void positionsOverrideEachStage() {
        assertThat(PruneSpec.parse("fastv:k=2,keep=64,positions=reindex").positions()).isEqualTo(PositionRule.REINDEX);
        assertThat(PruneSpec.parse("vispruner:keep=64,positions=original").positions()).isEqualTo(PositionRule.ORIGINAL);
        assertThat(PruneSpec.parse("fastv:k=2,keep=64").positions()).isNull();
        PrunePlan plan = PrunePlan.parse("vispruner:keep=64,positions=original+fastv:k=2,keep=32", LLAVA_7B);
        assertThat(plan.entries()).extracting(PrunePlan.Entry::positions).containsExactly(PositionRule.ORIGINAL, null);
        assertThatThrownBy(() -> PrunePlan.parse("visionzip:keep=64,positions=original", LLAVA_7B))
                .hasMessageContaining("stage 1 (visionzip) merges tokens").hasMessageContaining("positions=original");
        assertThatThrownBy(() -> PrunePlan.parse("sparsevlm:keep=64,positions=original", LLAVA_7B)).hasMessageContaining("sparsevlm");
    }

    @Test
    void stagesRunInFlowOrderWithBudgetsOfWhatEntersThem() {
        PrunePlan three = PrunePlan.parse("ivtp-vit:keep=288+vispruner:keep=128+pdrop:layers=8/16,ratios=0.5/0.25", LLAVA_7B);
        assertThat(three.entries()).extracting(e -> e.stage().name()).containsExactly("ivtp-vit", "vispruner", "pdrop");
        // A ratio is of the visual tokens entering the stage: 288 after ivtp-vit, 144 after half of them.
        assertThat(PrunePlan.parse("ivtp-vit:keep=288+fastv:k=2,keep=0.5", LLAVA_7B).entries().get(1).stage()).isEqualTo(new FastV(2, 144));
        assertThatThrownBy(() -> PrunePlan.parse("ivtp-vit:keep=64+fastv:k=2,keep=100", LLAVA_7B)).hasMessageContaining("outside 0..64");
        assertThatThrownBy(() -> PrunePlan.parse("fastv:k=2,keep=16+vispruner:keep=8", LLAVA_7B))
                .hasMessageContaining("stage 2 (vispruner) acts at the vision tower's output, before stage 1 (fastv) is done (after LLM layer 1)");
        assertThatThrownBy(() -> PrunePlan.parse("pdrop:layers=8/16,ratios=0.5/0.25+fastv:k=4,keep=4", LLAVA_7B))
                .hasMessageContaining("before stage 1 (pdrop) is done");
        // Two stages at one hook run in order; one that appended merged rows cannot be followed there.
        assertThat(PrunePlan.parse("fastervlm:keep=128+vispruner:keep=64", LLAVA_7B).entries()).hasSize(2);
        assertThatThrownBy(() -> PrunePlan.parse("visionzip:keep=64+vispruner:keep=32", LLAVA_7B)).hasMessageContaining("appended merged rows");
        assertThat(PrunePlan.parse("visionzip:keep=64+fastv:k=2,keep=32", LLAVA_7B).entries()).hasSize(2);
    }

    @Test
    void plansBuiltInCodeAreCheckedAgainstTheModel() {
        assertThatThrownBy(() -> PrunePlan.of(new FastV(40, 4)).check(LLAVA_7B))
                .hasMessageContaining("after LLM layer 39, but nothing runs after LLM layer 31");
        ModelShape full = new ModelShape(23, 576, 1024, 32, 4096, 577);
        assertThatThrownBy(() -> PrunePlan.of(new FasterVlm(64)).check(full)).hasMessageContaining("vision_feature_select_strategy");
        PrunePlan.of(new FastV(2, 64)).check(full);
        ModelShape shallow = new ModelShape(2, 16, 32, 4, 64, 16);
        assertThatThrownBy(() -> PrunePlan.parse("ivtp-vit:keep=8,from=1", shallow)).hasMessageContaining("leaves no layer to cut after");
    }
}
