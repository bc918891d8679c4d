package dev.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NaturalOrderTest {
    @Test
    void numbersCompareByValue() {
        List<String> names = new ArrayList<>(List.of("layers.10.w", "layers.2.w", "layers.1.w", "layers.02.w", "a", "layers.2.b", "b1", "b"));
        names.sort(NaturalOrder.INSTANCE);
        assertThat(names).containsExactly("a", "b", "b1", "layers.1.w", "layers.2.b", "layers.02.w", "layers.2.w", "layers.10.w");
    }

    @Test
    void isConsistentWithEquals() {
        assertThat(NaturalOrder.INSTANCE.compare("x01", "x1")).isNotZero();
        assertThat(NaturalOrder.INSTANCE.compare("x1", "x1")).isZero();
    }
}
