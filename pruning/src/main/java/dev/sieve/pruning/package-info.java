/**
 * Visual token pruning methods, one file each, as pure functions from plain signals (attention
 * rows, features) to kept token indices. Knows nothing of LLaVA weights; model-llava asks each
 * method for its signals at the point where it acts. Implemented: {@link dev.sieve.pruning.FastV}.
 */
package dev.sieve.pruning;
