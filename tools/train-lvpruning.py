#!/usr/bin/env python3
"""Train LVPruning modules for the bundled demo model (models/shapes-llava), the model itself frozen.

LVPruning (Sun et al., "LVPruning: An Effective yet Simple Language-Guided Vision Token Pruning Approach
for Multi-modal Large Language Models", Findings of NAACL 2025) adds small cross-attention modules at
chosen LLM layers: the vision tokens' hidden states are the queries, the language (instruction) tokens'
hidden states the keys and values; O = softmax(Q Kᵀ / √d) V + Q; a linear head turns each vision
token's O into (keep, drop) logits. Only the modules are trained; the LLaVA weights stay untouched.

Choices the paper leaves open, made here (and read by Sieve from lvpruning/config.json):
- one module after LLM layer 0 keeping 48 of the 144 visual tokens, one after layer 1 keeping 16, so at
  most 16 enter layer 2, the middle of the 4 layers ("90% removed by the middle layer");
- module width 64, 4 heads; the queries and the keys/values are projections of the RMS-normalised
  hidden states (one RMSNorm with its own weight per module, eps 1e-5); projections without bias, the
  head with bias; keys and values are the instruction rows: every prompt row after the image
  (the question and "ASSISTANT:");
- training: Gumbel-softmax (hard, straight-through, tau 1) keep decisions per module, multiplied from one
  module to the next, applied as an attention mask on the frozen LLM (a dropped visual token is no
  key for any later query, so the LLM sees what it would see after removal, and gradients still reach
  the modules); loss = answer cross-entropy + KL to the unpruned model's answer distribution
  (distillation) + a keep-ratio term (mean kept fraction minus the module's target, squared);
- inference: each module ranks the visual tokens still present by keep - drop logit and keeps its
  budget (top-k, raster order); kept tokens keep their original position ids, as the masks in
  training did, and decoding continues after the unpruned prompt.

Usage (from the repository root; about 20 minutes):
    ./sieve dataset shapes --out data/shapes-train --count 8000 --seed 1 --questions-per-image 4
    ./sieve dataset shapes --out data/shapes-test --count 500 --seed 2 --questions-per-image 2
    /usr/bin/python3 tools/train-lvpruning.py --model models/shapes-llava --train data/shapes-train \
        --test data/shapes-test --minutes 18
Writes models/shapes-llava/lvpruning/: modules.safetensors, config.json, training.json, and
golden_N.safetensors for Sieve's test (the model's sample questions: module logits, kept indices per
stage, pruned prompt logits, greedy tokens). --untrained writes randomly initialised modules instead
(the ablation) to another directory.
"""
import argparse
import importlib.util
import json
import math
import os
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

_spec = importlib.util.spec_from_file_location("shapes", os.path.join(os.path.dirname(os.path.abspath(__file__)), "train-shapes-llava.py"))
sl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sl)

LAYERS = [0, 1]
BUDGETS = [48, 16]
WIDTH, HEADS, EPS = 64, 4, 1e-5


class LvModule(nn.Module):
    """One LVPruning module: cross-attention from the visual rows to the instruction rows, then (keep, drop) logits."""

    def __init__(self, h):
        super().__init__()
        self.norm = sl.RmsNorm(h, EPS)
        self.q_proj = nn.Linear(h, WIDTH, bias=False)
        self.k_proj = nn.Linear(h, WIDTH, bias=False)
        self.v_proj = nn.Linear(h, WIDTH, bias=False)
        self.head = nn.Linear(WIDTH, 2)

    def forward(self, visual, text, text_valid):
        """visual [B, P, h], text [B, T, h], text_valid [B, T] -> logits [B, P, 2] (keep, drop)."""
        b, p, _ = visual.shape
        t = text.shape[1]
        dh = WIDTH // HEADS
        q = self.q_proj(self.norm(visual))
        nt = self.norm(text)
        k = self.k_proj(nt).view(b, t, HEADS, dh).transpose(1, 2)
        v = self.v_proj(nt).view(b, t, HEADS, dh).transpose(1, 2)
        qh = q.view(b, p, HEADS, dh).transpose(1, 2)
        s = (qh @ k.transpose(-1, -2)) / math.sqrt(dh)
        s = s.masked_fill(~text_valid[:, None, None, :], float("-inf"))
        o = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(b, p, WIDTH) + q
        return self.head(o)


def rope(positions, inv_freq):
    freqs = torch.outer(positions.float(), inv_freq)
    e = torch.cat([freqs, freqs], dim=-1)
    return e.cos()[None, None], e.sin()[None, None]


def attention(attn, x, cos, sin, mask, key_weight=None):
    """The frozen layer's attention; key_weight [B, n] (1 keep, 0 drop) renormalises the probabilities over kept keys."""
    b, t, _ = x.shape
    q = attn.q_proj(x).view(b, t, attn.heads, attn.hd).transpose(1, 2)
    k = attn.k_proj(x).view(b, t, attn.kv, attn.hd).transpose(1, 2)
    v = attn.v_proj(x).view(b, t, attn.kv, attn.hd).transpose(1, 2)
    q, k = q * cos + sl.rotate_half(q) * sin, k * cos + sl.rotate_half(k) * sin
    rep = attn.heads // attn.kv
    k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
    p = torch.softmax(((q @ k.transpose(-1, -2)) / math.sqrt(attn.hd) + mask).float(), dim=-1)
    if key_weight is not None:
        w = key_weight[:, None, None, :].expand(b, 1, t, t).clone()
        w[:, :, torch.arange(t), torch.arange(t)] = 1  # a query always sees itself (dropped rows are never read)
        p = p * w
        p = p / p.sum(-1, keepdim=True)
    return attn.o_proj((p @ v).transpose(1, 2).reshape(b, t, -1))


def layer_forward(layer, x, cos, sin, mask, key_weight=None):
    x = x + attention(layer.self_attn, layer.input_layernorm(x), cos, sin, mask, key_weight)
    return x + layer.mlp(layer.post_attention_layernorm(x))


def embed(model, ids, feats, image):
    j = int((ids[0] == image).int().argmax())
    emb = model.language_model.model.embed_tokens(ids.clamp(max=model.language_model.lm_head.out_features - 1))
    return torch.cat([emb[:, :j], feats, emb[:, j + 1:]], dim=1), j


def masked_forward(model, modules, ids, feats, image, instr_len, targets, tau):
    """Training pass: Gumbel keep decisions as attention masks. Returns logits and each module's mean keep fraction."""
    x, j = embed(model, ids, feats, image)
    b, n, _ = x.shape
    p = feats.shape[1]
    cos, sin = rope(torch.arange(n), model.inv_freq)
    mask = torch.full((n, n), float("-inf")).triu(1)[None, None]
    policy = torch.ones(b, p)
    fractions = []
    t_idx = torch.arange(n - j - p)
    text_valid = t_idx[None, :] < instr_len[:, None]
    for l, layer in enumerate(model.language_model.model.layers):
        key_weight = torch.cat([torch.ones(b, j), policy, torch.ones(b, n - j - p)], dim=1) if l > LAYERS[0] else None
        x = layer_forward(layer, x, cos, sin, mask, key_weight)
        if l in LAYERS:
            logits = modules[LAYERS.index(l)](x[:, j:j + p], x[:, j + p:], text_valid)
            hard = F.gumbel_softmax(logits, tau=tau, hard=True)[..., 0]
            policy = policy * hard
            fractions.append(policy.mean(1))
    return model.language_model.lm_head(model.language_model.model.norm(x)), fractions


def pruned_forward(model, modules, ids, feats, image, prompt_len, budgets, fixed=None):
    """Inference with removal (batch 1): top-k per module among the visual rows still present, original
    position ids. ids may extend the prompt with generated tokens; the modules see only the prompt's
    instruction rows, and fixed (kept lists from the prompt pass) replays the same cuts while decoding.
    Returns logits of the final rows, the kept patch indices per module and each module's logits."""
    x, j = embed(model, ids, feats, image)
    p = feats.shape[1]
    n = x.shape[1]
    pos = torch.arange(n)
    visual = torch.arange(p)          # patch index of each visual row still present
    instr = prompt_len - 1 - j        # instruction rows: prompt rows after the image (prompt_len counts <image> once)
    kept, module_logits = [], []
    for l, layer in enumerate(model.language_model.model.layers):
        m = x.shape[1]
        cos, sin = rope(pos, model.inv_freq)
        mask = torch.full((m, m), float("-inf")).triu(1)[None, None]
        x = layer_forward(layer, x, cos, sin, mask)
        if l in LAYERS:
            s = LAYERS.index(l)
            v = len(visual)
            text = x[:, j + v:j + v + instr]
            logits = modules[s](x[:, j:j + v], text, torch.ones(1, instr, dtype=torch.bool))[0]
            module_logits.append(logits)
            if fixed is None:
                score = logits[:, 0] - logits[:, 1]
                top = torch.topk(score, budgets[s]).indices.sort().values
            else:
                top = torch.tensor([int((visual == k).nonzero()) for k in fixed[s]])
            kept.append(visual[top].tolist())
            rows = torch.cat([torch.arange(j), j + top, torch.arange(j + v, x.shape[1])])
            x, pos, visual = x[:, rows], pos[rows], visual[top]
    return model.language_model.lm_head(model.language_model.model.norm(x)), kept, module_logits


def load_model(model_dir):
    tok = sl.Tok(os.path.join(model_dir, "tokenizer.model"))
    model = sl.Llava(sl.VISION, sl.TEXT, tok.vocab, tok.image)
    state = sl.read_safetensors(os.path.join(model_dir, "model.safetensors"))
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise SystemExit(f"{model_dir}: tensors do not match: missing {missing}, unexpected {unexpected}")
    model.eval()
    for w in model.parameters():
        w.requires_grad_(False)
    return model, tok


def batch_of(rows, tok, hidden, index):
    """Single-turn samples: prompt + answer ids (right padded), answer targets, instruction lengths, features."""
    seqs, tg, instr = [], [], []
    for r in rows:
        prompt, answer = tok.prompt(r["question"]), tok.answer(r["answer"])
        seqs.append(prompt + answer)
        instr.append(len(prompt) - 1 - prompt.index(tok.image))
        tg.append([-100] * (len(prompt) - 1) + answer + [-100])
    t = max(len(s) for s in seqs)
    ids = torch.full((len(rows), t), tok.pad, dtype=torch.long)
    targets = torch.full((len(rows), t), -100, dtype=torch.long)
    for i, (s, g) in enumerate(zip(seqs, tg)):
        ids[i, :len(s)] = torch.tensor(s)
        targets[i, :len(g)] = torch.tensor(g)
    feats = torch.stack([hidden[index[r["image"]]] for r in rows])
    return ids, targets, torch.tensor(instr), feats


def answer(model, modules, tok, feats, question, budgets, steps=6):
    prompt = tok.prompt(question)
    logits, kept, _ = pruned_forward(model, modules, torch.tensor([prompt]), feats, tok.image, len(prompt), budgets)
    new = []
    for _ in range(steps):
        nxt = int(logits[0, -1].argmax())
        if nxt == tok.sp.eos_id():
            break
        new.append(nxt)
        logits, _, _ = pruned_forward(model, modules, torch.tensor([prompt + new]), feats, tok.image, len(prompt), budgets, kept)
    return tok.sp.decode(new).strip(), kept


def evaluate(model, modules, tok, rows, index, hidden, budgets, limit=None):
    rows = rows[:limit] if limit else rows
    right, kinds = 0, {}
    with torch.no_grad():
        for r in rows:
            feats = model.multi_modal_projector(hidden[index[r["image"]]][None])
            ok = answer(model, modules, tok, feats, r["question"], budgets)[0] == r["answer"]
            right += ok
            k = kinds.setdefault(r["kind"], [0, 0])
            k[0] += ok
            k[1] += 1
    return right / len(rows), {k: round(v[0] / v[1], 3) for k, v in sorted(kinds.items())}


def write_goldens(model, modules, tok, model_dir, out_dir, budgets):
    """golden_N.safetensors for the model's sample questions: inputs, each module's logits, kept indices per stage,
    pruned prompt logits and 4 greedy tokens (float32 end to end, as Sieve runs)."""
    samples = os.path.join(model_dir, "samples")
    with open(os.path.join(samples, "questions.jsonl")) as f:
        rows = [json.loads(line) for line in f]
    from PIL import Image
    import numpy as np
    with torch.no_grad():
        for n, r in enumerate(rows):
            px = sl.pixel_values(np.asarray(Image.open(os.path.join(samples, r["image"])).convert("RGB"))[None])
            feats, _ = model.image_features(px)
            prompt = tok.prompt(r["question"])
            logits, kept, module_logits = pruned_forward(model, modules, torch.tensor([prompt]), feats, tok.image, len(prompt), budgets)
            full, new = logits, []
            for _ in range(4):
                new.append(int(logits[0, -1].argmax()))
                logits, _, _ = pruned_forward(model, modules, torch.tensor([prompt + new]), feats, tok.image, len(prompt), budgets, kept)
            tensors = {"pixel_values": px.contiguous(), "input_ids": torch.tensor([prompt]), "logits": full.contiguous(),
                       "generate.new_tokens": torch.tensor([new])}
            for s in range(len(LAYERS)):
                tensors[f"stage{s}.module_logits"] = module_logits[s].contiguous()
                tensors[f"stage{s}.kept_indices"] = torch.tensor(kept[s])
            sl.write_safetensors(os.path.join(out_dir, f"golden_{n}.safetensors"), tensors,
                                 {"image": r["image"], "question": r["question"], "answer": r["answer"]})
    return len(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/shapes-llava")
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--out", help="default: MODEL/lvpruning")
    ap.add_argument("--minutes", type=float, default=18)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--ratio-weight", type=float, default=20.0)
    ap.add_argument("--distill-weight", type=float, default=1.0)
    ap.add_argument("--untrained", action="store_true", help="write randomly initialised modules (the ablation)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest when the machine is shared)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    out = args.out or os.path.join(args.model, "lvpruning")
    os.makedirs(out, exist_ok=True)
    begin = time.time()
    model, tok = load_model(args.model)
    h = sl.TEXT["hidden_size"]
    modules = nn.ModuleList(LvModule(h) for _ in LAYERS)
    for name, w in modules.named_parameters():
        if w.dim() >= 2:
            nn.init.normal_(w, std=0.02)
    # Start each head at its module's budget (keep probability = budget / tokens entering), so training spends
    # its steps on which tokens to keep rather than on how many.
    entering = [(sl.VISION["image_size"] // sl.VISION["patch_size"]) ** 2] + BUDGETS[:-1]
    with torch.no_grad():
        for m, b, e in zip(modules, BUDGETS, entering):
            m.head.bias.copy_(torch.tensor([math.log(b / e), math.log(1 - b / e)]))
    test_rows, test_index, test_images = sl.load_split(args.test)
    test_hidden = sl.feature_layer(model, lambda s: sl.pixel_values(test_images[s]), len(test_images))
    report = {"layers": LAYERS, "budgets": BUDGETS, "args": vars(args)}
    if not args.untrained:
        train_rows, train_index, train_images = sl.load_split(args.train)
        train_hidden = sl.feature_layer(model, lambda s: sl.pixel_values(train_images[s]), len(train_images), fast=True)
        del train_images
        print(f"train: {len(train_rows)} questions; test: {len(test_rows)}; features cached in {time.time() - begin:.0f} s", flush=True)
        opt = torch.optim.AdamW(modules.parameters(), lr=args.lr, weight_decay=0.01)
        targets = [b / (sl.VISION["image_size"] // sl.VISION["patch_size"]) ** 2 for b in BUDGETS]
        start, step, budget = time.time(), 0, args.minutes * 60
        while time.time() - start < budget:
            rows = random.sample(train_rows, args.batch)
            ids, tgt, instr, hidden = batch_of(rows, tok, train_hidden, train_index)
            with torch.no_grad():
                feats = model.multi_modal_projector(hidden)
                teacher = model(ids, feats)
            logits, fractions = masked_forward(model, modules, ids, feats, tok.image, instr, targets, tau=1.0)
            p = feats.shape[1]
            j = int((ids[0] == tok.image).int().argmax())
            full_tgt = torch.full(logits.shape[:2], -100, dtype=torch.long)
            full_tgt[:, j + p:] = tgt[:, j + 1:]
            answer_rows = full_tgt != -100
            ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), full_tgt.reshape(-1), ignore_index=-100)
            kl = F.kl_div(F.log_softmax(logits[answer_rows], -1), F.log_softmax(teacher[answer_rows], -1), log_target=True,
                          reduction="batchmean")
            ratio = sum(((f - t) ** 2).mean() for f, t in zip(fractions, targets))
            loss = ce + args.distill_weight * kl + args.ratio_weight * ratio
            opt.zero_grad()
            loss.backward()
            lr = args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, (time.time() - start) / budget)))
            for g in opt.param_groups:
                g["lr"] = lr
            opt.step()
            step += 1
            if step % 50 == 0:
                kept = [round(float(f.mean()), 3) for f in fractions]
                print(f"step {step} ({time.time() - start:.0f} s): ce {ce.item():.4f} kl {kl.item():.4f} ratio {ratio.item():.4f} "
                      f"kept {kept} lr {lr:.1e}", flush=True)
            if step % 500 == 0:
                acc, kinds = evaluate(model, modules, tok, test_rows, test_index, test_hidden, BUDGETS, limit=200)
                print(f"  held-out accuracy (first 200, {BUDGETS[-1]} tokens): {acc:.3f} {kinds}", flush=True)
        report["steps"] = step
    acc, kinds = evaluate(model, modules, tok, test_rows, test_index, test_hidden, BUDGETS)
    print(f"held-out accuracy at {BUDGETS[-1]} tokens: {acc:.4f} {kinds}", flush=True)
    report.update(heldout_accuracy=acc, heldout_by_kind=kinds, minutes=round((time.time() - begin) / 60, 1))
    state = {f"modules.{i}.{k}": v.detach().clone().contiguous() for i, m in enumerate(modules) for k, v in m.state_dict().items()}
    sl.write_safetensors(os.path.join(out, "modules.safetensors"), state, {"format": "pt"})
    sl.write_json(os.path.join(out, "config.json"), {
        "method": "lvpruning", "layers": LAYERS, "budgets": BUDGETS, "hidden_size": h, "width": WIDTH, "heads": HEADS,
        "rms_norm_eps": EPS, "keys": "text_after_image", "score": "keep_minus_drop_logit", "positions": "original",
        "trained": not args.untrained})
    report["goldens"] = write_goldens(model, modules, tok, args.model, out, BUDGETS)
    sl.write_json(os.path.join(out, "training.json"), report)
    print(f"wrote {out}", flush=True)


if __name__ == "__main__":
    main()
