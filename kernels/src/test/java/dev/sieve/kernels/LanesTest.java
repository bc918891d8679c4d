package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class LanesTest {
    @Test
    void sumIsThePairwiseTreeOfTheScalarTwinForEveryVectorSize() {
        SplittableRandom random = new SplittableRandom(9);
        for (VectorSpecies<Float> species : java.util.List.of(FloatVector.SPECIES_64, FloatVector.SPECIES_128,
                FloatVector.SPECIES_256, FloatVector.SPECIES_512)) {
            float[] lanes = new float[species.length()];
            for (int round = 0; round < 5000; round++) {
                double exact = 0;
                for (int i = 0; i < lanes.length; i++) {
                    // Mixed magnitudes, so that a different order of additions would round differently.
                    lanes[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-3, 6)));
                    exact += lanes[i];
                }
                float got = Lanes.sum(FloatVector.fromArray(species, lanes, 0));
                assertThat(Float.floatToIntBits(got)).as("%s round %s", species, round)
                        .isEqualTo(Float.floatToIntBits(Lanes.sumInOrder(lanes)));
                float[] stored = new float[lanes.length + 4];
                System.arraycopy(lanes, 0, stored, 3, lanes.length);
                assertThat(Float.floatToIntBits(Lanes.sumStored(stored, 3, lanes.length))).as("sumStored %s, round %s", species, round)
                        .isEqualTo(Float.floatToIntBits(got));
                double magnitude = 0;
                for (float v : lanes) {
                    magnitude += Math.abs(v);
                }
                assertThat((double) got).isCloseTo(exact, within(magnitude * 1e-6));
            }
        }
    }

    @Test
    void sumPropagatesInfinitiesAndNaN() {
        float[] lanes = new float[FloatVector.SPECIES_PREFERRED.length()];
        lanes[lanes.length - 1] = Float.POSITIVE_INFINITY;
        assertThat(Lanes.sum(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, lanes, 0))).isEqualTo(Float.POSITIVE_INFINITY);
        lanes[0] = Float.NEGATIVE_INFINITY;
        assertThat(Lanes.sum(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, lanes, 0))).isNaN();
    }
}
