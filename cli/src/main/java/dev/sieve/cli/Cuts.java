package dev.sieve.cli;

import dev.sieve.llava.Llava;
import dev.sieve.pruning.pipeline.StageResult;
import java.util.ArrayList;
import java.util.List;

/** Every cut of every stage of a generation, in the order they applied, named for panels and output tensors. */
final class Cuts {
    record Named(String name, StageResult.Cut cut) {}

    private Cuts() {}

    /** "fastv", or "pdrop 1", "pdrop 2", ... for a stage that cut more than once. */
    static List<Named> of(Llava.Generation g) {
        List<Named> out = new ArrayList<>();
        for (StageResult stage : g.stages()) {
            List<StageResult.Cut> cuts = stage.cuts();
            for (int i = 0; i < cuts.size(); i++) {
                out.add(new Named(cuts.size() == 1 ? stage.name() : stage.name() + " " + (i + 1), cuts.get(i)));
            }
        }
        return out;
    }
}
