/**
 * Visual token pruning methods (VisPruner, FastV, IVTP, PyramidDrop, SparseVLM, DivPrune,
 * VisionZip, ...), one file each, as pure functions from plain signals to kept indices. Knows
 * nothing of LLaVA weights. Not implemented yet: see the README's status table.
 */
package dev.sieve.pruning;
