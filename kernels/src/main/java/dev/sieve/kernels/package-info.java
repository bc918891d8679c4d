/**
 * Arithmetic kernels (GEMM, GEMV, norms, RoPE, activations, attention), each written twice: a
 * scalar reference and a {@code jdk.incubator.vector} version held to it by property tests.
 * Knows nothing of models. Not implemented yet: see the README's status table.
 */
package dev.sieve.kernels;
