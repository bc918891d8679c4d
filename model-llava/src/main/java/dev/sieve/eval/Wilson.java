package dev.sieve.eval;

/**
 * The Wilson score interval for a proportion: unlike the normal approximation it stays inside [0, 1]
 * and behaves at 0 or n successes, which small evaluation sets hit.
 */
public record Wilson(double low, double high) {
    private static final double Z95 = 1.959963984540054;

    public static Wilson of95(long successes, long n) {
        if (n <= 0) {
            return new Wilson(0, 1);
        }
        double p = (double) successes / n;
        double z2 = Z95 * Z95;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z95 * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return new Wilson(Math.max(0, centre - half), Math.min(1, centre + half));
    }
}
