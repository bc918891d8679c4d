package dev.sieve.llava;

import dev.sieve.runtime.KvCache;
import dev.sieve.runtime.Ops;
import java.util.Arrays;

/**
 * One prefilled request being decoded step by step ({@link Llava#start}, {@link #step}): its own KV cache, sampler
 * and tokens so far. Not thread-safe; a scheduler owns it from start to close.
 */
public final class Sequence implements AutoCloseable {
    /** Builds the {@link Llava.Generation} of a finished sequence from its tokens, step logits and decode time. */
    interface Finisher {
        Llava.Generation generation(int[] tokens, float[] stepLogits, long decodeNanos);
    }

    private final LlamaDecoder decoder;
    private final KvCache cache;
    private final Sampler sampler;
    private final int maxNewTokens;
    private final boolean sharedDecodePositions;
    private final int nextPosition;
    private final int vocab;
    private final int hidden;
    private final Finisher finisher;
    private final int[] tokens;
    private final float[] stepLogits;
    private float[] last;
    private int produced;
    private long decodeNanos;
    private boolean closed;

    Sequence(LlamaDecoder decoder, KvCache cache, float[] lastLogits, Sampler sampler, int maxNewTokens, boolean sharedDecodePositions, int nextPosition, int vocab,
             int hidden, Finisher finisher) {
        this.decoder = decoder;
        this.cache = cache;
        this.last = lastLogits;
        this.sampler = sampler;
        this.maxNewTokens = maxNewTokens;
        this.sharedDecodePositions = sharedDecodePositions;
        this.nextPosition = nextPosition;
        this.vocab = vocab;
        this.hidden = hidden;
        this.finisher = finisher;
        this.tokens = new int[maxNewTokens];
        // Step logits are kept only for short generations: the facade's callers never read them, and
        // max tokens x vocab floats would be the largest allocation of a long answer.
        this.stepLogits = (long) maxNewTokens * vocab <= 1 << 22 ? new float[maxNewTokens * vocab] : null;
    }

    /**
     * One decode step for every sequence given (of one model; each has just {@link #choose chosen} a token and is not
     * {@link #full}): one pass over the weights for all of them, attention per sequence over its own KV cache.
     */
    public static void step(java.util.List<Sequence> sequences, Ops ops) {
        int n = sequences.size();
        LlamaDecoder decoder = sequences.get(0).decoder;
        float[] rows = new float[n * sequences.get(0).hidden];
        KvCache[] caches = new KvCache[n];
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            Sequence s = sequences.get(i);
            if (s.decoder != decoder) {
                throw new IllegalArgumentException("the sequences of one step must come from one model");
            }
            decoder.embed(new int[] {s.lastToken()}, rows, i);
            caches[i] = s.cache;
            positions[i] = s.decodePosition();
        }
        decoder.decodeStep(rows, caches, positions, ops);
        float[] logits = decoder.logits(rows, 0, n, ops);
        for (int i = 0; i < n; i++) {
            Sequence s = sequences.get(i);
            s.last = Arrays.copyOfRange(logits, i * s.vocab, (i + 1) * s.vocab);
        }
    }

    /** Samples the next token from the latest logits and records it; returns it. */
    public int choose() {
        if (produced >= maxNewTokens) {
            throw new IllegalStateException("the sequence has produced its " + maxNewTokens + " tokens");
        }
        if (stepLogits != null) {
            System.arraycopy(last, 0, stepLogits, produced * vocab, vocab);
        }
        int token = sampler.next(last);
        tokens[produced++] = token;
        return token;
    }

    /** Tokens chosen so far. */
    public int produced() {
        return produced;
    }

    /** True once max new tokens are chosen: it must not {@link Llava#step} again. */
    public boolean full() {
        return produced >= maxNewTokens;
    }

    private int lastToken() {
        return tokens[produced - 1];
    }

    private int decodePosition() {
        return sharedDecodePositions ? nextPosition + produced - 1 : -1;
    }

    /** Adds wall time spent decoding this sequence (its share of the batch's steps, as the scheduler counts it). */
    public void addDecodeNanos(long nanos) {
        decodeNanos += nanos;
    }

    /** The generation so far: prompt logits, the tokens chosen, timings. */
    public Llava.Generation generation() {
        float[] logits = stepLogits == null ? new float[0] : Arrays.copyOf(stepLogits, produced * vocab);
        return finisher.generation(Arrays.copyOf(tokens, produced), logits, decodeNanos);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            cache.close();
        }
    }
}
