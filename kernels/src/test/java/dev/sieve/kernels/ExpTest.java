package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExpTest {
    /** Test the vector form: the kernels take the scalar one while the process is cold ({@link ColdStart}). */
    @BeforeEach
    void vectorForm() {
        ColdStart.force(false);
    }

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** Distance in units in the last place between two non-negative finite floats. */
    private static int ulps(float a, float b) {
        return Math.abs(Float.floatToRawIntBits(a) - Float.floatToRawIntBits(b));
    }

    @Test
    void isWithinTwoUlpOfTheCorrectlyRoundedValueOverTheWholeNormalRange() {
        // Every 97th float bit pattern from -104 to 89 (about 22 million inputs cover both signs).
        int worst = 0;
        float worstAt = 0;
        for (float start : new float[] {Float.MIN_VALUE, -Float.MIN_VALUE}) {
            int from = Float.floatToRawIntBits(start);
            int to = Float.floatToRawIntBits(start > 0 ? 89f : -104f);
            for (int bits = from; bits <= to; bits += 97) {
                float x = Float.intBitsToFloat(bits);
                float want = (float) Math.exp(x);
                if (want < Float.MIN_NORMAL || Float.isInfinite(want)) {
                    continue;
                }
                int u = ulps(Exp.exp(x), want);
                if (u > worst) {
                    worst = u;
                    worstAt = x;
                }
            }
        }
        assertThat(worst).as("worst error %s ulp at x = %s", worst, worstAt).isLessThanOrEqualTo(2);
    }

    @Test
    void subnormalOverflowAndSpecialValuesFollowTheFloatResult() {
        assertThat(Exp.exp(0f)).isEqualTo(1f);
        assertThat(Exp.exp(-0f)).isEqualTo(1f);
        assertThat(Exp.exp(Float.NEGATIVE_INFINITY)).isEqualTo(0f);
        assertThat(Exp.exp(-200f)).isEqualTo(0f);
        assertThat(Exp.exp(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Exp.exp(89f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Exp.exp(1000f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Exp.exp(Float.NaN)).isNaN();
        assertThat(Exp.exp(88.7f)).isEqualTo((float) Math.exp(88.7f));
        // Subnormal results: rounded once, so within one subnormal step of the true value.
        for (float x = -103.9f; x < -87.4f; x += 0.37f) {
            double want = Math.exp(x);
            assertThat((double) Exp.exp(x)).as("exp(%s)", x).isBetween(want - Float.MIN_VALUE, want + Float.MIN_VALUE);
        }
    }

    @Test
    void vectorLanesEqualTheScalarFormBitForBitInEveryJitTier() {
        // Enough repetitions that the loop runs interpreted, then C1-, then C2-compiled: the
        // property must hold in all of them (it did not for VectorOperators.EXP).
        SplittableRandom random = new SplittableRandom(5);
        int lanes = SPECIES.length();
        float[] x = new float[lanes * 64];
        float[] got = new float[x.length];
        for (int round = 0; round < 3000; round++) {
            for (int i = 0; i < x.length; i++) {
                x[i] = switch (random.nextInt(8)) {
                    case 0 -> (float) (random.nextDouble() * 240 - 140); // beyond both ends of the range
                    case 1 -> new float[] {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0f, -0f, -104f, 89f,
                            88.72f, -87.34f}[random.nextInt(9)];
                    default -> (float) (random.nextGaussian() * 10);
                };
            }
            for (int i = 0; i < x.length; i += lanes) {
                Exp.exp(FloatVector.fromArray(SPECIES, x, i)).intoArray(got, i);
            }
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToIntBits(got[i]) != Float.floatToIntBits(Exp.exp(x[i]))) {
                    assertThat(got[i]).as("round %s: vector exp(%s) vs scalar", round, x[i]).isEqualTo(Exp.exp(x[i]));
                }
            }
        }
    }

    @Test
    void bulkFormEqualsTheScalarFormOnOddRangesIncludingTails() {
        SplittableRandom random = new SplittableRandom(11);
        for (int round = 0; round < 2000; round++) {
            int length = random.nextInt(1, 100);
            int from = random.nextInt(0, length);
            int to = random.nextInt(from, length + 1);
            float[] a = new float[length];
            for (int i = 0; i < length; i++) {
                a[i] = (float) (random.nextGaussian() * 30);
            }
            float[] got = a.clone();
            Exp.expInPlace(got, from, to);
            for (int i = 0; i < length; i++) {
                float want = i >= from && i < to ? Exp.exp(a[i]) : a[i];
                assertThat(Float.floatToIntBits(got[i])).as("length %s [%s, %s) at %s", length, from, to, i)
                        .isEqualTo(Float.floatToIntBits(want));
            }
        }
    }
}
