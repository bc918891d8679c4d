#!/usr/bin/env bash
# The accuracy-vs-tokens table of docs/BENCHMARKS.md: every pruning method at 64, 32 and 16 of the
# bundled model's 144 visual tokens, over the held-out shapes split (seed 2, never seen in training).
# Usage: tools/eval-shapes.sh [OUT_DIR] [LIMIT]      (defaults: /tmp/sieve-eval, all 1000 questions)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-/tmp/sieve-eval}"
limit="${2:-0}"
data="$out/shapes-test"
[ -f "$data/data.jsonl" ] || ./sieve dataset shapes --out "$data" --count 500 --seed 2 --questions-per-image 2
specs=()
for keep in 64 32 16; do
  specs+=(--prune "vispruner:keep=$keep" --prune "fastervlm:keep=$keep" --prune "divprune:keep=$keep"
          --prune "visionzip:keep=$keep" --prune "random:keep=$keep" --prune "uniform:keep=$keep"
          --prune "fastv:k=2,keep=$keep" --prune "ivtp:k=2,keep=$keep" --prune "sparsevlm:layers=1,counts=$keep")
done
# PyramidDrop's stages after layers 1, 2, 3 of 4, ending at 18 / 9 tokens; VisPruner then FastV.
specs+=(--prune "pdrop:layers=1/2/3,ratios=0.5/0.25/0.125" --prune "pdrop:layers=1/2/3,ratios=0.25/0.125/0.0625"
        --prune "vispruner:keep=32+fastv:k=2,keep=16")
./sieve eval --model models/shapes-llava --data "$data/data.jsonl" --limit "$limit" "${specs[@]}" --out "$out"
