package dev.sieve.kernels;

/**
 * The kernels' developer settings, JVM system properties for measuring alternatives, each parsed
 * and checked here. {@code -Dsieve.vector.bits=256|512}: the vector width ({@link Simd});
 * {@code -Dsieve.gemm.kc}, {@code .nc}, {@code .mc}: GEMM's block sizes ({@link Gemm}), whole numbers
 * from 1 to 65536; {@code -Dsieve.f16.lift=true|false}: lifted F16 copies ({@link WeightConversion}).
 *
 * <p>The kernels read them once, in their class initializers, where a bad value could only surface as
 * an {@link ExceptionInInitializerError} far from its cause. So entry points (the CLI, the facade's
 * {@code Sieve.open}) call {@link #check()} first, which reports a bad value as one line naming the
 * property and the rule.
 */
public final class KernelSettings {
    private static final int MAX_BLOCK = 65536;

    private KernelSettings() {}

    /**
     * Checks every setting that is set.
     *
     * @throws IllegalArgumentException naming the first property whose value breaks its rule
     */
    public static void check() {
        // Only the checks matter here; the kernels pass their own defaults.
        vectorBits(0);
        gemmBlock("kc", 0);
        gemmBlock("nc", 0);
        gemmBlock("mc", 0);
        f16Lift();
    }

    /** {@code -Dsieve.vector.bits}: 256 or 512, else {@code preferred}. */
    static int vectorBits(int preferred) {
        String asked = choice("sieve.vector.bits", "256", "512");
        return asked == null ? preferred : Integer.parseInt(asked);
    }

    /** {@code -Dsieve.gemm.<name>}: a whole number from 1 to 65536, else {@code otherwise}. */
    static int gemmBlock(String name, int otherwise) {
        String property = "sieve.gemm." + name;
        String asked = System.getProperty(property);
        if (asked == null) {
            return otherwise;
        }
        int value;
        try {
            value = Integer.parseInt(asked.strip());
        } catch (NumberFormatException e) {
            value = 0;
        }
        if (value < 1 || value > MAX_BLOCK) {
            throw new IllegalArgumentException("-D" + property + " must be a whole number from 1 to " + MAX_BLOCK + ", got '" + asked + "'");
        }
        return value;
    }

    /** {@code -Dsieve.f16.lift}: true (the default) or false. */
    static boolean f16Lift() {
        return !"false".equals(choice("sieve.f16.lift", "true", "false"));
    }

    /** The property's value, {@code first} or {@code second}, or null when it is not set. */
    private static String choice(String property, String first, String second) {
        String asked = System.getProperty(property);
        if (asked != null && !asked.equals(first) && !asked.equals(second)) {
            throw new IllegalArgumentException("-D" + property + " must be " + first + " or " + second + ", got '" + asked + "'");
        }
        return asked;
    }
}
