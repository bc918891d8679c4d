package dev.sieve.runtime;

/** The kinds of work {@link OpCounters} tells apart: coarse enough for one table row each. */
public enum OpKind {
    /** Matrix-matrix products (prefill projections, MLPs, patch embedding). */
    GEMM,
    /** Matrix-vector products (decode). */
    GEMV,
    /** Attention scores, softmax and the weighted sum of values. */
    ATTENTION,
    /** LayerNorm and RMSNorm. */
    NORM,
    /** Rotary position embeddings. */
    ROPE,
    /** SiLU, GELU, quick_gelu and gating. */
    ACTIVATION,
    /** Adds, scales, residuals, copies. */
    ELEMENTWISE,
    /** Token-embedding lookups. */
    EMBEDDING,
    /** Anything else (pruning selection, preprocessing, sampling). */
    OTHER
}
