/**
 * Arithmetic kernels, each written twice: a plain scalar reference ({@code *Reference} classes)
 * and a {@code jdk.incubator.vector} version, held to each other by property tests on random
 * shapes. Knows nothing of models.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li>Activations are F32 in {@link java.lang.foreign.MemorySegment}s (heap or native),
 *       little-endian, row-major; a matrix argument is a segment whose first float is element
 *       (0, 0), plus its dimensions and a row stride counted in floats.</li>
 *   <li>Weights are {@link dev.sieve.kernels.WeightMatrix} ({@code [out, in]} as PyTorch stores
 *       them) in F32, F16, BF16 or Q8_0; F16/BF16 are widened on the fly.</li>
 *   <li>Kernels that split work over threads take a {@link dev.sieve.kernels.Parallel}.</li>
 *   <li>Hot loops allocate nothing; scratch comes from the caller or from per-thread buffers.</li>
 * </ul>
 */
package dev.sieve.kernels;
