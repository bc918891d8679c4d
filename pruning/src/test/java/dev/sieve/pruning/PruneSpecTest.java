package dev.sieve.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PruneSpecTest {
    @Test
    void parsesFastVWithCountsAndRatios() {
        assertThat(PruneSpec.parse("fastv:k=2,keep=288").fastV(576, 32)).isEqualTo(new FastV(2, 288));
        assertThat(PruneSpec.parse("FastV:k=3, keep=0.25").fastV(576, 32)).isEqualTo(new FastV(3, 144));
        assertThat(PruneSpec.parse("none").method()).isEqualTo("none");
        assertThat(PruneSpec.parse("vispruner:keep=64,important=0.75").visionMethod(576)).isEqualTo(new VisPruner(64, 0.75));
        assertThat(PruneSpec.parse("vispruner:keep=0.25").visionMethod(576)).isEqualTo(new VisPruner(144, 0.5));
        assertThat(PruneSpec.parse("divprune:keep=64").visionMethod(576)).isEqualTo(new DivPrune(64));
        assertThat(PruneSpec.parse("pdrop:layers=8/16/24,ratios=0.5/0.25/0.125").pyramidDrop(32))
                .isEqualTo(new PyramidDrop(new int[] {8, 16, 24}, new double[] {0.5, 0.25, 0.125}));
        assertThatThrownBy(() -> PruneSpec.parse("pdrop:layers=8/40,ratios=0.5/0.25").pyramidDrop(32)).hasMessageContaining("below");
        assertThatThrownBy(() -> PruneSpec.parse("pdrop:layers=8/16,ratios=0.25/0.5").pyramidDrop(32)).hasMessageContaining("non-increasing");
        assertThat(PruneSpec.parse("visionzip:dominant=54,contextual=10").visionZip(576)).isEqualTo(new VisionZip(54, 10));
        assertThat(PruneSpec.parse("visionzip:keep=64").visionZip(576)).isEqualTo(new VisionZip(54, 10));
        assertThatThrownBy(() -> PruneSpec.parse("visionzip:dominant=54").visionZip(576)).hasMessageContaining("missing contextual");
        var stages = PruneSpec.parseAll("vispruner:keep=192+fastv:k=2,keep=96");
        assertThat(stages).extracting(PruneSpec::method).containsExactly("vispruner", "fastv");
    }

    @Test
    void refusesWhatItCannotDoWithTheAcceptedList() {
        assertThat(PruneSpec.parse("ivtp:k=8,keep=0.25").layerMethod(576, 32)).isEqualTo(new Ivtp(8, 144));
        assertThat(PruneSpec.parse("ivtp:k=8,keep=0.5,k2=16,keep2=0.25").layerMethod(576, 32))
                .isEqualTo(new Ivtp(8, 288, new int[] {7}, new double[] {1}, 16, 144));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PruneSpec.parse("ivtp:k=8,keep=64,k2=16,keep2=65").layerMethod(576, 32))
                .hasMessageContaining("keep2=65 must not exceed keep=64");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PruneSpec.parse("ivtp:k=8,keep=64,k2=8,keep2=32").layerMethod(576, 32))
                .hasMessageContaining("k2=8 must be between k+1=9 and 31");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PruneSpec.parse("ivtp:k=8,keep=64,k2=16").layerMethod(576, 32))
                .hasMessageContaining("needs both k2= and keep2=");
        assertThat(PruneSpec.parse("fastv:k=2,keep=64,positions=reindex").positions()).isEqualTo("reindex");
        assertThat(PruneSpec.parse("vispruner:keep=64,positions=original").positions()).isEqualTo("original");
        assertThat(PruneSpec.parse("fastv:k=2,keep=64").positions()).isNull();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PruneSpec.parse("fastv:k=2,keep=64,positions=shifted"))
                .hasMessageContaining("positions=shifted must be original or reindex");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PruneSpec.parse("none:positions=original"))
                .hasMessageContaining("unknown key 'positions'");
        assertThat(PruneSpec.parse("ivtp:k=8,keep=64,layers=5/7,weights=0.25/0.75").layerMethod(576, 32))
                .isEqualTo(new Ivtp(8, 64, new int[] {5, 7}, new double[] {0.25, 0.75}));
        assertThat(PruneSpec.parse("ivtp:k=8,keep=64,layers=6/7").layerMethod(576, 32))
                .isEqualTo(new Ivtp(8, 64, new int[] {6, 7}, new double[] {1, 1}));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PruneSpec.parse("ivtp:k=8,keep=64,layers=6/8").layerMethod(576, 32))
                .hasMessageContaining("ascending and between 0 and k-1=7");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PruneSpec.parse("ivtp:k=8,keep=64,layers=6/7,weights=1").layerMethod(576, 32))
                .hasMessageContaining("one weight per layer");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PruneSpec.parse("ivtp:k=8,keep=64,weights=1").layerMethod(576, 32))
                .hasMessageContaining("needs layers=");
        assertThatThrownBy(() -> PruneSpec.parse("lvpruning:keep=64")).hasMessageContaining("unknown method 'lvpruning'")
                .hasMessageContaining(PruneSpec.ACCEPTED);
        assertThatThrownBy(() -> PruneSpec.parseAll("fastv:k=2,keep=4+vispruner:keep=8")).hasMessageContaining("followed by fastv");
        assertThatThrownBy(() -> PruneSpec.parse("vispruner:keep=8,important=2").visionMethod(16)).hasMessageContaining("ratio");
        assertThatThrownBy(() -> PruneSpec.parse("fastv:k=2")).hasMessageContaining("missing keep");
        assertThatThrownBy(() -> PruneSpec.parse("fastv:k=2,keep=8,foo=1")).hasMessageContaining("unknown key 'foo'");
        assertThatThrownBy(() -> PruneSpec.parse("fastv:k2")).hasMessageContaining("not key=value");
        assertThatThrownBy(() -> PruneSpec.parse("fastv:k=2,keep=600").fastV(576, 32)).hasMessageContaining("outside 0..576");
        assertThatThrownBy(() -> PruneSpec.parse("fastv:k=32,keep=8").fastV(576, 32)).hasMessageContaining("between 1 and 31");
        assertThatThrownBy(() -> PruneSpec.parse("fastv:k=2,keep=8.5").fastV(576, 32)).hasMessageContaining("whole number");
    }
}
