/**
 * Tensors over memory segments, the execution context (threads, scratch, backend), the per-layer
 * KV cache and FLOP/time counters. Not implemented yet: see the README's status table.
 */
package dev.sieve.runtime;
