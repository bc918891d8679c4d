package dev.sieve.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A deterministic mutation fuzzer that runs on every build (Jazzer's regression mode only replays
 * seeds): each committed seed is mutated a thousand times (bit flips, byte overwrites with
 * interesting values, truncation, insertion, length-prefix edits) and the loader must keep its
 * contract on every mutant.
 */
class MutationFuzzTest {
    private static final int MUTANTS_PER_SEED = 1000;

    @Test
    void mutatedFilesEitherOpenOrFailWithTheLoadersException() throws Exception {
        Path scratch = LoaderContract.scratchDir();
        List<byte[]> seeds = seeds("openAnyFile");
        assertThat(seeds).hasSizeGreaterThan(10);
        Random random = new Random(20261121);
        int opened = 0;
        int total = 0;
        for (byte[] seed : seeds) {
            for (int i = 0; i < MUTANTS_PER_SEED; i++) {
                if (LoaderContract.openFile(scratch, mutate(seed, random))) {
                    opened++;
                }
                total++;
            }
        }
        // Both outcomes must occur, or the mutator is not exercising the loader.
        assertThat(opened).isBetween(1, total - 1);
    }

    @Test
    void mutatedIndexesEitherOpenOrFailWithTheLoadersException() throws Exception {
        Path scratch = LoaderContract.scratchDir().resolve("ckpt");
        Random random = new Random(7);
        for (byte[] seed : seeds("openAnyIndex")) {
            for (int i = 0; i < MUTANTS_PER_SEED / 3; i++) {
                LoaderContract.openIndex(scratch, mutate(seed, random));
            }
        }
    }

    static List<byte[]> seeds(String target) throws IOException, URISyntaxException {
        Path dir = Path.of(MutationFuzzTest.class.getResource("SafetensorsFuzzTestInputs/" + target).toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().map(p -> {
                try {
                    return Files.readAllBytes(p);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }).toList();
        }
    }

    private static final long[] INTERESTING = {0, 1, -1, 7, 8, 255, 0x7f, 0x80, 100_000_000, 100_000_001, Integer.MAX_VALUE,
        Long.MAX_VALUE, Long.MIN_VALUE};

    static byte[] mutate(byte[] seed, Random r) {
        byte[] b = seed.clone();
        int rounds = 1 + r.nextInt(4);
        for (int k = 0; k < rounds; k++) {
            if (b.length == 0) {
                return new byte[] {(byte) r.nextInt()};
            }
            int pos = r.nextInt(b.length);
            switch (r.nextInt(7)) {
                case 0 -> b[pos] ^= (byte) (1 << r.nextInt(8));
                case 1 -> b[pos] = (byte) r.nextInt(256);
                case 2 -> b = java.util.Arrays.copyOf(b, pos); // truncate
                case 3 -> { // insert a byte
                    byte[] n = new byte[b.length + 1];
                    System.arraycopy(b, 0, n, 0, pos);
                    n[pos] = "{}[],:\"0-9e ".getBytes()[r.nextInt(12)];
                    System.arraycopy(b, pos, n, pos + 1, b.length - pos);
                    b = n;
                }
                case 4 -> { // rewrite the length prefix
                    if (b.length >= 8) {
                        long v = INTERESTING[r.nextInt(INTERESTING.length)] + (r.nextBoolean() ? 0 : r.nextInt(16) - 8);
                        for (int i = 0; i < 8; i++) {
                            b[i] = (byte) (v >>> (8 * i));
                        }
                    }
                }
                case 5 -> { // replace a digit with another (offsets, shapes)
                    for (int i = pos; i < b.length; i++) {
                        if (b[i] >= '0' && b[i] <= '9') {
                            b[i] = (byte) ('0' + r.nextInt(10));
                            break;
                        }
                    }
                }
                default -> { // duplicate a slice (e.g. a header entry)
                    int len = Math.min(b.length - pos, 1 + r.nextInt(32));
                    byte[] n = new byte[b.length + len];
                    System.arraycopy(b, 0, n, 0, pos + len);
                    System.arraycopy(b, pos, n, pos + len, b.length - pos);
                    b = n;
                }
            }
        }
        return b;
    }
}
