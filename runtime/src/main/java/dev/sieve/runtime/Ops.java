package dev.sieve.runtime;

import dev.sieve.kernels.Activations;
import dev.sieve.kernels.ActivationsReference;
import dev.sieve.kernels.Attention;
import dev.sieve.kernels.AttentionProbe;
import dev.sieve.kernels.AttentionReference;
import dev.sieve.kernels.Elementwise;
import dev.sieve.kernels.ElementwiseReference;
import dev.sieve.kernels.Gemm;
import dev.sieve.kernels.GemmReference;
import dev.sieve.kernels.Norms;
import dev.sieve.kernels.NormsReference;
import dev.sieve.kernels.Rope;
import dev.sieve.kernels.RopeReference;
import dev.sieve.kernels.WeightMatrix;
import java.lang.foreign.MemorySegment;

/**
 * The kernels as a model calls them: each op runs on the context's backend (SIMD kernels on its
 * threads, or their scalar reference twins for debugging) and is counted in its
 * {@link OpCounters} (calls, FLOPs, time), cheap enough to stay on.
 */
public final class Ops {
    private final ExecutionContext ctx;
    private final boolean simd;
    private final OpCounters counters;

    public Ops(ExecutionContext ctx) {
        this.ctx = ctx;
        this.simd = ctx.backend() == ExecutionContext.Backend.SIMD;
        this.counters = ctx.counters();
    }

    public ExecutionContext context() {
        return ctx;
    }

    /** C[m, n] = A[m, k] · Wᵀ (+ bias); 2·m·n·k FLOPs, counted as GEMV when m == 1. */
    public void matmul(MemorySegment a, int m, int k, long lda, WeightMatrix w, float[] bias, MemorySegment c, long ldc) {
        long start = System.nanoTime();
        if (simd) {
            Gemm.matmul(a, m, k, lda, w, bias, c, ldc, ctx.parallel());
        } else {
            GemmReference.matmul(a, m, k, lda, w, bias, c, ldc);
        }
        counters.record(m == 1 ? OpKind.GEMV : OpKind.GEMM, 2L * m * w.rows() * k, System.nanoTime() - start);
    }

    /**
     * Attention (see {@link Attention#attend}); FLOPs = 4·d·hq per (query, visible key) pair,
     * i.e. QKᵀ and PV over exactly the pairs the mask allows.
     */
    public void attend(MemorySegment q, long qStride, MemorySegment k, long kStride, MemorySegment v, long vStride, MemorySegment out,
                       long outStride, int sq, int sk, int hq, int hkv, int d, float scale, boolean causal, AttentionProbe probe) {
        long start = System.nanoTime();
        if (simd) {
            Attention.attend(q, qStride, k, kStride, v, vStride, out, outStride, sq, sk, hq, hkv, d, scale, causal, probe, ctx.parallel());
        } else {
            AttentionReference.attend(q, qStride, k, kStride, v, vStride, out, outStride, sq, sk, hq, hkv, d, scale, causal, probe);
        }
        long pairs = causal ? (long) sq * (sk - sq) + (long) sq * (sq + 1) / 2 : (long) sq * sk;
        counters.record(OpKind.ATTENTION, 4L * d * hq * pairs, System.nanoTime() - start);
    }

    public void layerNorm(MemorySegment in, int rows, int dim, long inStride, float[] weight, float[] bias, float eps, MemorySegment out,
                          long outStride) {
        long start = System.nanoTime();
        if (simd) {
            Norms.layerNorm(in, rows, dim, inStride, weight, bias, eps, out, outStride);
        } else {
            NormsReference.layerNorm(in, rows, dim, inStride, weight, bias, eps, out, outStride);
        }
        counters.record(OpKind.NORM, 8L * rows * dim, System.nanoTime() - start);
    }

    public void rmsNorm(MemorySegment in, int rows, int dim, long inStride, float[] weight, float eps, MemorySegment out, long outStride) {
        long start = System.nanoTime();
        if (simd) {
            Norms.rmsNorm(in, rows, dim, inStride, weight, eps, out, outStride);
        } else {
            NormsReference.rmsNorm(in, rows, dim, inStride, weight, eps, out, outStride);
        }
        counters.record(OpKind.NORM, 4L * rows * dim, System.nanoTime() - start);
    }

    /** Rotary embedding in place; the SIMD path uses the precomputed table, the reference recomputes from positions and theta. */
    public void rope(MemorySegment x, int rows, int heads, int headDim, long rowStride, Rope.Table table, int[] positions, double theta) {
        long start = System.nanoTime();
        if (simd) {
            Rope.apply(x, rows, heads, headDim, rowStride, table);
        } else {
            RopeReference.apply(x, rows, heads, headDim, rowStride, positions, theta);
        }
        counters.record(OpKind.ROPE, 3L * rows * heads * headDim, System.nanoTime() - start);
    }

    public void quickGelu(MemorySegment in, MemorySegment out, int n) {
        long start = System.nanoTime();
        if (simd) {
            Activations.quickGelu(in, out, n);
        } else {
            ActivationsReference.quickGelu(in, out, n);
        }
        counters.record(OpKind.ACTIVATION, 5L * n, System.nanoTime() - start);
    }

    public void geluErf(MemorySegment in, MemorySegment out, int n) {
        long start = System.nanoTime();
        if (simd) {
            Activations.geluErf(in, out, n);
        } else {
            ActivationsReference.geluErf(in, out, n);
        }
        counters.record(OpKind.ACTIVATION, 8L * n, System.nanoTime() - start);
    }

    /** out = silu(gate) * up. */
    public void swiglu(MemorySegment gate, MemorySegment up, MemorySegment out, int n) {
        long start = System.nanoTime();
        if (simd) {
            Activations.swiglu(gate, up, out, n);
        } else {
            ActivationsReference.swiglu(gate, up, out, n);
        }
        counters.record(OpKind.ACTIVATION, 5L * n, System.nanoTime() - start);
    }

    public void add(MemorySegment a, MemorySegment b, MemorySegment out, int n) {
        long start = System.nanoTime();
        if (simd) {
            Elementwise.add(a, b, out, n);
        } else {
            ElementwiseReference.add(a, b, out, n);
        }
        counters.record(OpKind.ELEMENTWISE, n, System.nanoTime() - start);
    }
}
