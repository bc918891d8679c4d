package dev.sieve.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class KernelSettingsTest {
    /** Runs {@code body} with {@code property} set to {@code value} (or cleared for null), then restores it. */
    private static <T> T with(String property, String value, Supplier<T> body) {
        String before = System.getProperty(property);
        try {
            if (value == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, value);
            }
            return body.get();
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
    }

    @Test
    void unsetSettingsTakeTheKernelsDefaultsAndSetOnesTheirValue() {
        assertThat(with("sieve.vector.bits", null, () -> KernelSettings.vectorBits(512))).isEqualTo(512);
        assertThat(with("sieve.vector.bits", "256", () -> KernelSettings.vectorBits(512))).isEqualTo(256);
        assertThat(with("sieve.gemm.kc", null, () -> KernelSettings.gemmBlock("kc", 256))).isEqualTo(256);
        assertThat(with("sieve.gemm.kc", "1", () -> KernelSettings.gemmBlock("kc", 256))).isEqualTo(1);
        assertThat(with("sieve.gemm.mc", " 640 ", () -> KernelSettings.gemmBlock("mc", 512))).isEqualTo(640);
        assertThat(with("sieve.gemm.nc", "65536", () -> KernelSettings.gemmBlock("nc", 192))).isEqualTo(65536);
        assertThat(with("sieve.f16.lift", null, KernelSettings::f16Lift)).isTrue();
        assertThat(with("sieve.f16.lift", "false", KernelSettings::f16Lift)).isFalse();
        assertThatCode(() -> with("sieve.gemm.kc", "128", () -> { KernelSettings.check(); return null; })).doesNotThrowAnyException();
    }

    @Test
    void aBadValueIsOneLineNamingThePropertyAndTheRule() {
        String[][] cases = {
            {"sieve.vector.bits", "300", "-Dsieve.vector.bits must be 256 or 512, got '300'"},
            {"sieve.vector.bits", "", "-Dsieve.vector.bits must be 256 or 512, got ''"},
            {"sieve.gemm.kc", "abc", "-Dsieve.gemm.kc must be a whole number from 1 to 65536, got 'abc'"},
            {"sieve.gemm.kc", "0", "-Dsieve.gemm.kc must be a whole number from 1 to 65536, got '0'"},
            {"sieve.gemm.nc", "-4", "-Dsieve.gemm.nc must be a whole number from 1 to 65536, got '-4'"},
            {"sieve.gemm.mc", "65537", "-Dsieve.gemm.mc must be a whole number from 1 to 65536, got '65537'"},
            {"sieve.gemm.mc", "1e3", "-Dsieve.gemm.mc must be a whole number from 1 to 65536, got '1e3'"},
            {"sieve.f16.lift", "yes", "-Dsieve.f16.lift must be true or false, got 'yes'"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> with(c[0], c[1], () -> { KernelSettings.check(); return null; }))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(c[2]);
        }
    }
}
