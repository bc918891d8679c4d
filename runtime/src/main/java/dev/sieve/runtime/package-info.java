/**
 * What the model runs on: {@link dev.sieve.runtime.Tensor} (dtype, shape, strides over a
 * {@link java.lang.foreign.MemorySegment}; zero-copy views over safetensors mappings),
 * {@link dev.sieve.runtime.ExecutionContext} (worker threads, backend choice, per-thread scratch),
 * {@link dev.sieve.runtime.KvCache} (one length per layer, so layers after a pruning point hold
 * fewer tokens) and {@link dev.sieve.runtime.OpCounters} (calls, FLOPs, time per op kind).
 */
package dev.sieve.runtime;
