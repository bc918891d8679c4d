#!/usr/bin/env python3
"""Copy the demo's sample questions and images from a shapes test split into a model directory.

Takes one question of each kind (preferring questions about small objects, which pruning can lose)
plus the images the training script's golden files use, and writes samples/questions.jsonl with the
images beside it. Deterministic: the first matching rows of the split.

    /usr/bin/python3 tools/pick-shapes-samples.py --test data/shapes-test --model models/shapes-llava
"""
import argparse
import json
import os
import shutil


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--test", required=True, help="directory with data.jsonl and images/")
    ap.add_argument("--model", required=True, help="model directory; samples/ is written inside")
    args = ap.parse_args()
    with open(os.path.join(args.test, "data.jsonl"), encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    chosen = []
    for kind in ["color", "shape", "position", "count", "exist", "relative"]:
        of_kind = [r for r in rows if r["kind"] == kind]
        small = [r for r in of_kind if r["small"]]
        chosen.append((small or of_kind)[0])
    golden_images = {r["image"] for r in rows[:3]}  # the training script's golden_0..2 use the first three rows
    out = os.path.join(args.model, "samples")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "questions.jsonl"), "w", encoding="utf-8") as f:
        for r in chosen:
            f.write(json.dumps(dict(r, image=os.path.basename(r["image"]))) + "\n")
    for image in sorted({r["image"] for r in chosen} | golden_images):
        shutil.copy(os.path.join(args.test, image), os.path.join(out, os.path.basename(image)))
    print(f"wrote {len(chosen)} questions and {len({r['image'] for r in chosen} | golden_images)} images to {out}")


if __name__ == "__main__":
    main()
