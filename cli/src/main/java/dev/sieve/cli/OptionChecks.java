package dev.sieve.cli;

/** Range checks on numeric options: each failure is one line naming the option, the rule and the value given. */
public final class OptionChecks {
    private OptionChecks() {}

    /** {@code option} must be at least {@code min}. */
    public static void atLeast(String option, long value, long min) {
        if (value < min) {
            throw new UserInputException(option + " must be >= " + min + ", got " + value);
        }
    }

    /** {@code option}, when given (non-null), must be at least {@code min}. */
    public static void atLeastIfGiven(String option, Integer value, long min) {
        if (value != null) {
            atLeast(option, value, min);
        }
    }

    /** {@code option} must lie in {@code [min, max]}. */
    public static void between(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw new UserInputException(option + " must be between " + min + " and " + max + ", got " + value);
        }
    }

    /** {@code option} must be given: {@code what} says for what. */
    public static void required(String option, Object value, String what) {
        if (value == null) {
            throw new UserInputException(what + " needs " + option);
        }
    }
}
