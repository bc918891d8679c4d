package dev.sieve.pruning.pipeline;

/**
 * Position ids after a stage's cut. ORIGINAL: kept rows keep the ids they had (gaps where rows
 * went; decoding continues after the unpruned prompt). REINDEX: the rows are numbered 0, 1, ...
 * again (decoding continues after the shortened prompt). Before the LLM the same rule decides
 * whether image rows keep their patch's place in the prompt or close up.
 */
public enum PositionRule { ORIGINAL, REINDEX }
