package dev.sieve.pruning;

import dev.sieve.pruning.pipeline.Hook;
import dev.sieve.pruning.pipeline.ModelShape;
import dev.sieve.pruning.pipeline.PruningStage;
import dev.sieve.pruning.pipeline.Role;
import dev.sieve.pruning.pipeline.SequenceView;

/** Model shapes and hand-made sequences for the stage tests. */
final class Shapes {
    /** LLaVA-1.5-7B: CLIP-L/14 at 336 px run to its 23rd layer, 576 patches, 32 LLM layers. */
    static final ModelShape LLAVA_7B = new ModelShape(23, 576, 1024, 32, 4096, 576);

    private Shapes() {}

    /** The one stage of {@code spec} as built for LLaVA-1.5-7B. */
    static PruningStage stage(String spec) {
        PrunePlan plan = PrunePlan.parse(spec, LLAVA_7B);
        return plan.entries().get(0).stage();
    }

    /** An LLM sequence: {@code before} text rows, {@code image} visual rows (origins 0..), {@code after} text rows; positions 0..n-1. */
    static SequenceView llm(Hook hook, int before, int image, int after) {
        int n = before + image + after;
        Role[] roles = new Role[n];
        int[] origins = new int[n];
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            roles[i] = i < before ? Role.TEXT_BEFORE : i < before + image ? Role.VISUAL : Role.TEXT_AFTER;
            origins[i] = roles[i] == Role.VISUAL ? i - before : -1;
            positions[i] = i;
        }
        return new SequenceView(hook, roles, origins, positions, 4, LLAVA_7B);
    }

    /** The vision tower's rows: [CLS] then {@code patches} patches. */
    static SequenceView tower(Hook hook, int patches) {
        return tower(hook, patches, LLAVA_7B);
    }

    static SequenceView tower(Hook hook, int patches, ModelShape shape) {
        Role[] roles = new Role[patches + 1];
        int[] origins = new int[patches + 1];
        int[] positions = new int[patches + 1];
        roles[0] = Role.CLS;
        origins[0] = SequenceView.CLASS_TOKEN;
        positions[0] = -1;
        for (int p = 0; p < patches; p++) {
            roles[p + 1] = Role.VISUAL;
            origins[p + 1] = p;
            positions[p + 1] = p;
        }
        return new SequenceView(hook, roles, origins, positions, 4, shape);
    }
}
