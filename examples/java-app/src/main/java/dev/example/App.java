package dev.example;

import dev.sieve.llava.api.Sieve;
import dev.sieve.llava.api.SieveAnswer;
import dev.sieve.llava.api.SieveImage;
import dev.sieve.llava.api.SieveRequest;
import java.nio.file.Path;

/** Asks a llava-hf model about the bundled picture, unpruned and with 16 of its visual tokens. */
public class App {
    public static void main(String[] args) {
        try (Sieve sieve = Sieve.open(Path.of(args[0]))) {
            for (String prune : new String[] {"none", "vispruner:keep=16"}) {
                SieveAnswer a = sieve.ask(SieveRequest.of(SieveImage.of(Path.of("scene.png")), "What color is the cross?")
                        .withPrune(prune).withMaxTokens(8));
                System.out.printf("%-18s %s (%d of %d visual tokens, %.1f ms to first token)%n", prune, a.text(),
                        a.usage().visualTokensKept(), a.usage().visualTokensTotal(), a.timings().timeToFirstTokenMs());
            }
        }
    }
}
