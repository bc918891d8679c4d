#!/usr/bin/env python3
"""Train the bundled demo model: a small LLaVA-1.5-architecture model on the synthetic shapes task.

The model is defined here in plain PyTorch with exactly the llava-hf architecture and tensor names
(CLIP pre-LN ViT with quick_gelu, vision_feature_layer -2 without [CLS], 2-layer GELU projector,
Llama decoder with RMSNorm, rotate-half RoPE, GQA, SwiGLU, untied lm_head), so that Sieve (and
transformers' LlavaForConditionalGeneration) load the result as any llava-hf checkpoint.

Training signal: cross-entropy on the answer token(s) and </s> after the LLaVA-1.5 prompt
"USER: <image>\\n{question} ASSISTANT:", plus an auxiliary multi-label loss on the last vision layer's
[CLS] output (which scene colour/shape pairs are present). The auxiliary head plays the part of CLIP's
contrastive pre-training: it gives the [CLS] token, and therefore the [CLS] attention that
VisPruner, FasterVLM and VisionZip rank patches by, a meaning. The head itself is not saved (LLaVA
never uses it), like CLIP's visual projection.

Needs Debian's python3-torch, python3-pil, python3-sentencepiece and sentencepiece (spm_train):
    sudo apt-get install python3-torch python3-pil python3-sentencepiece sentencepiece

Usage (from the repository root; the whole recipe is in models/shapes-llava/README.md):
    ./sieve dataset shapes --out data/shapes-train --count 24000 --seed 1
    ./sieve dataset shapes --out data/shapes-test --count 500 --seed 2 --questions-per-image 2
    /usr/bin/python3 tools/train-shapes-llava.py --train data/shapes-train --test data/shapes-test \
        --out models/shapes-llava --minutes 45
"""
import argparse
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

# Debian's OpenBLAS 0.3.21 does not recognise this Xeon and falls back to SSE3 kernels; name the core.
if "OPENBLAS_CORETYPE" not in os.environ and os.path.exists("/proc/cpuinfo"):
    with open("/proc/cpuinfo") as _f:
        _flags = _f.read()
    if " avx512f" in _flags:
        os.environ["OPENBLAS_CORETYPE"] = "Cooperlake" if "avx512_bf16" in _flags else "SkylakeX"

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
import sentencepiece as spm

MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
COLOURS = ["red", "green", "blue", "yellow", "purple", "white"]
SHAPES = ["circle", "square", "triangle", "cross"]

VISION = dict(hidden_size=128, intermediate_size=512, num_hidden_layers=4, num_attention_heads=4,
              image_size=96, patch_size=8, layer_norm_eps=1e-5)
TEXT = dict(hidden_size=128, intermediate_size=352, num_hidden_layers=4, num_attention_heads=4,
            num_key_value_heads=2, rms_norm_eps=1e-5, rope_theta=10000.0, max_position_embeddings=256)


# ----------------------------------------------------------------------------- model (llava-hf names)

class ClipAttention(nn.Module):
    def __init__(self, h, heads):
        super().__init__()
        self.heads, self.hd = heads, h // heads
        self.q_proj, self.k_proj = nn.Linear(h, h), nn.Linear(h, h)
        self.v_proj, self.out_proj = nn.Linear(h, h), nn.Linear(h, h)

    def forward(self, x):
        b, t, h = x.shape
        q = (self.q_proj(x) * self.hd ** -0.5).view(b, t, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.heads, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.heads, self.hd).transpose(1, 2)
        p = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        return self.out_proj((p @ v).transpose(1, 2).reshape(b, t, h))


class ClipMlp(nn.Module):
    def __init__(self, h, m):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(h, m), nn.Linear(m, h)

    def forward(self, x):
        x = self.fc1(x)
        return self.fc2(x * torch.sigmoid(1.702 * x))  # quick_gelu


class ClipLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.layer_norm1 = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.self_attn = ClipAttention(h, c["num_attention_heads"])
        self.layer_norm2 = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.mlp = ClipMlp(h, c["intermediate_size"])

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class ClipEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, p = c["hidden_size"], c["patch_size"]
        self.patches = (c["image_size"] // p) ** 2
        self.class_embedding = nn.Parameter(torch.randn(h) * 0.02)
        self.patch_embedding = nn.Conv2d(3, h, p, p, bias=False)
        self.position_embedding = nn.Embedding(self.patches + 1, h)

    def forward(self, pixels):
        x = self.patch_embedding(pixels).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        return torch.cat([cls, x], dim=1) + self.position_embedding.weight


class ClipEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList(ClipLayer(c) for _ in range(c["num_hidden_layers"]))


class ClipVisionModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.embeddings = ClipEmbeddings(c)
        self.pre_layrnorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.encoder = ClipEncoder(c)
        self.post_layernorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])

    def forward(self, pixels):
        """(hidden state of layer -2, post-layernormed [CLS] of the last layer)."""
        x = self.pre_layrnorm(self.embeddings(pixels))
        states = [x]
        for layer in self.encoder.layers:
            x = layer(x)
            states.append(x)
        return states[-2], self.post_layernorm(x[:, 0])


class VisionTower(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.vision_model = ClipVisionModel(c)


class Projector(nn.Module):
    def __init__(self, hv, ht):
        super().__init__()
        self.linear_1, self.linear_2 = nn.Linear(hv, ht), nn.Linear(ht, ht)

    def forward(self, x):
        return self.linear_2(F.gelu(self.linear_1(x)))


class RmsNorm(nn.Module):
    def __init__(self, h, eps):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(h)), eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads, self.kv = c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = h // self.heads
        self.q_proj = nn.Linear(h, self.heads * self.hd, bias=False)
        self.k_proj = nn.Linear(h, self.kv * self.hd, bias=False)
        self.v_proj = nn.Linear(h, self.kv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.heads * self.hd, h, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        rep = self.heads // self.kv
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd) + mask
        return self.o_proj((torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(b, t, -1))


class LlamaMlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, m = c["hidden_size"], c["intermediate_size"]
        self.gate_proj, self.up_proj = nn.Linear(h, m, bias=False), nn.Linear(h, m, bias=False)
        self.down_proj = nn.Linear(m, h, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RmsNorm(c["hidden_size"], c["rms_norm_eps"])
        self.self_attn = LlamaAttention(c)
        self.post_attention_layernorm = RmsNorm(c["hidden_size"], c["rms_norm_eps"])
        self.mlp = LlamaMlp(c)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, c, vocab):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, c["hidden_size"])
        self.layers = nn.ModuleList(LlamaLayer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RmsNorm(c["hidden_size"], c["rms_norm_eps"])


class LanguageModel(nn.Module):
    def __init__(self, c, vocab):
        super().__init__()
        self.model = LlamaModel(c, vocab)
        self.lm_head = nn.Linear(c["hidden_size"], vocab, bias=False)


class Llava(nn.Module):
    def __init__(self, vision, text, vocab, image_token):
        super().__init__()
        self.vision_tower = VisionTower(vision)
        self.multi_modal_projector = Projector(vision["hidden_size"], text["hidden_size"])
        self.language_model = LanguageModel(text, vocab)
        self.text, self.image_token = text, image_token
        hd = text["hidden_size"] // text["num_attention_heads"]
        self.register_buffer("inv_freq", 1.0 / (text["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd)), persistent=False)

    def image_features(self, pixels):
        hidden, cls = self.vision_tower.vision_model(pixels)
        return self.multi_modal_projector(hidden[:, 1:]), cls

    def forward(self, ids, features):
        """Logits for ids [B, T] whose single <image> token is expanded to the rows of features [B, P, H]."""
        b, t = ids.shape
        p = features.shape[1]
        at = (ids == self.image_token).int().argmax(dim=1)
        j = int(at[0])
        if not bool((at == j).all()):
            raise ValueError("every sequence of a batch must hold <image> at the same position")
        emb = self.language_model.model.embed_tokens(ids.clamp(max=self.language_model.lm_head.out_features - 1))
        x = torch.cat([emb[:, :j], features, emb[:, j + 1:]], dim=1)
        n = t - 1 + p
        pos = torch.arange(n, dtype=torch.float32)
        freqs = torch.outer(pos, self.inv_freq)
        e = torch.cat([freqs, freqs], dim=-1)
        cos, sin = e.cos()[None, None], e.sin()[None, None]
        mask = torch.full((n, n), float("-inf")).triu(1)[None, None]
        for layer in self.language_model.model.layers:
            x = layer(x, cos, sin, mask)
        return self.language_model.lm_head(self.language_model.model.norm(x))


# ----------------------------------------------------------------------------- data

def load_split(directory):
    with open(os.path.join(directory, "data.jsonl"), encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    names = sorted({r["image"] for r in rows})
    index = {n: i for i, n in enumerate(names)}
    images = np.stack([np.asarray(Image.open(os.path.join(directory, n)).convert("RGB")) for n in names])
    return rows, index, images


def pixel_values(uint8_images):
    """CLIPImageProcessor on images already at the model's size: rescale by 1/255, normalise (float32)."""
    x = torch.from_numpy(uint8_images).float().permute(0, 3, 1, 2) * (1 / 255)
    return (x - torch.tensor(MEAN)[None, :, None, None]) / torch.tensor(STD)[None, :, None, None]


class Tok:
    """Sieve's / LLaVA's prompt tokenisation: the text around <image> encoded segment by segment."""

    def __init__(self, path):
        self.sp = spm.SentencePieceProcessor(model_file=path)
        self.image = self.sp.get_piece_size()
        self.pad = self.image + 1
        self.vocab = self.image + 2

    def prompt(self, question):
        return [self.sp.bos_id()] + self.sp.encode("USER: ") + [self.image] + self.sp.encode("\n" + question + " ASSISTANT:")

    def answer(self, text):
        return self.sp.encode(text) + [self.sp.eos_id()]


def packed_batch(groups, tok):
    """One sequence per image holding all its questions as turns (LLaVA-1.5 multi-turn:
    "USER: <image>\nQ1 ASSISTANT: A1</s>USER: Q2 ASSISTANT: A2</s>"), so the visual tokens are run once per
    image for several answers; targets -100 except where the next token is an answer token or its </s>."""
    seqs, answer_mask = [], []
    for rows in groups:
        seq = tok.prompt(rows[0]["question"])
        mask = [False] * len(seq)
        for n, r in enumerate(rows):
            if n > 0:
                turn = tok.sp.encode("USER: " + r["question"] + " ASSISTANT:")
                seq += turn
                mask += [False] * len(turn)
            a = tok.answer(r["answer"])
            seq += a
            mask += [True] * len(a)
        seqs.append(seq)
        answer_mask.append(mask)
    t = max(len(x) for x in seqs)
    ids = torch.full((len(seqs), t), tok.pad, dtype=torch.long)
    tg = torch.full((len(seqs), t), -100, dtype=torch.long)
    for i, (x, m) in enumerate(zip(seqs, answer_mask)):
        ids[i, :len(x)] = torch.tensor(x)
        for k in range(len(x) - 1):
            if m[k + 1]:
                tg[i, k] = x[k + 1]
    return ids, tg


def batch(rows, tok, index):
    """Sequences right-padded to one length; targets -100 except on the answer and </s>."""
    seqs, targets, img = [], [], []
    for r in rows:
        p, a = tok.prompt(r["question"]), tok.answer(r["answer"])
        seqs.append(p + a)
        targets.append([-100] * (len(p) - 1) + a + [-100])
        img.append(index[r["image"]])
    t = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), t), tok.pad, dtype=torch.long)
    tgt = torch.full((len(seqs), t), -100, dtype=torch.long)
    for i, (s, g) in enumerate(zip(seqs, targets)):
        ids[i, :len(s)] = torch.tensor(s)
        tgt[i, :len(g)] = torch.tensor(g)
    return ids, tgt, img


# ----------------------------------------------------------------------------- training

def aux_labels_from_images(uint8_images):
    """Multi-hot (colour, shape) presence can't be recovered from pixels cheaply, so the dataset's scene
    file is not needed: we derive per-image colour presence from pixels (exact colours) instead."""
    palette = np.array([[220, 40, 40], [40, 180, 60], [50, 90, 235], [235, 215, 40], [160, 60, 210], [245, 245, 245]])
    flat = uint8_images.reshape(len(uint8_images), -1, 3).astype(np.int32)
    out = np.zeros((len(uint8_images), len(palette)), dtype=np.float32)
    for c, rgb in enumerate(palette):
        out[:, c] = (np.abs(flat - rgb).sum(-1) == 0).sum(-1) >= 4
    return torch.from_numpy(out)


def covers(shape, dx, dy, r):
    """Sieve's rasteriser (dev.sieve.shapes.ShapeKind.covers) on pixel-centre offsets."""
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    if shape == "square":
        return (np.abs(dx) <= 0.8 * r) & (np.abs(dy) <= 0.8 * r)
    if shape == "triangle":
        return (dy >= -r) & (dy <= 0.8 * r) & (np.abs(dx) <= r * (dy + r) / (1.8 * r))
    return ((np.abs(dx) <= r) & (np.abs(dy) <= 0.34 * r)) | ((np.abs(dy) <= r) & (np.abs(dx) <= 0.34 * r))


def patch_labels(directory, index, size, patch):
    """Per patch: 0 for background, else 1 + colour * 4 + shape of the object covering most of its pixels."""
    grid = size // patch
    labels = np.zeros((len(index), grid * grid), dtype=np.int64)
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    with open(os.path.join(directory, "scenes.jsonl"), encoding="utf-8") as f:
        for line in f:
            scene = json.loads(line)
            best = np.zeros((grid, grid))
            label = np.zeros((grid, grid), dtype=np.int64)
            for o in scene["objects"]:
                mask = covers(o["shape"], xs - o["cx"], ys - o["cy"], o["r"]).astype(np.float64)
                cover = mask.reshape(grid, patch, grid, patch).sum(axis=(1, 3))
                cls = 1 + COLOURS.index(o["color"]) * len(SHAPES) + SHAPES.index(o["shape"])
                better = cover > best
                label[better] = cls
                best[better] = cover[better]
            labels[index[scene["image"]]] = label.reshape(-1)
    return torch.from_numpy(labels)


def evaluate(model, tok, rows, index, images, noise=False, limit=None):
    model.eval()
    rows = rows[:limit] if limit else rows
    correct, per_kind = 0, {}
    with torch.no_grad():
        for s in range(0, len(rows), 64):
            chunk = rows[s:s + 64]
            px = pixel_values(images[[index[r["image"]] for r in chunk]])
            if noise:
                px = torch.randn_like(px)
            feats, _ = model.image_features(px)
            prompts = [tok.prompt(r["question"]) for r in chunk]
            for i, (r, p) in enumerate(zip(chunk, prompts)):
                logits = model(torch.tensor([p]), feats[i:i + 1])
                ids, answer = [], ""
                for _ in range(6):  # one-word answers: a few greedy steps (number words take up to 5 pieces)
                    nxt = int(logits[0, -1].argmax())
                    if nxt == tok.sp.eos_id():
                        break
                    ids.append(nxt)
                    logits = model(torch.tensor([p + ids]), feats[i:i + 1])
                answer = tok.sp.decode(ids).strip()
                ok = answer == r["answer"]
                correct += ok
                k = per_kind.setdefault(r["kind"], [0, 0])
                k[0] += ok
                k[1] += 1
    model.train()
    return correct / len(rows), {k: round(v[0] / v[1], 3) for k, v in sorted(per_kind.items())}


def train_tokenizer(rows, out_dir):
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "corpus.txt"), "w", encoding="utf-8") as f:
            for r in rows:
                f.write("USER: " + r["question"] + " ASSISTANT: " + r["answer"] + "\n")
        # Llama 2's trainer options (BPE, byte fallback, identity normalisation, split digits).
        subprocess.run(["spm_train", "--input=corpus.txt", "--model_prefix=tokenizer", "--model_type=bpe",
                        "--vocab_size=400", "--hard_vocab_limit=false", "--byte_fallback=true",
                        "--normalization_rule_name=identity", "--remove_extra_whitespaces=false",
                        "--add_dummy_prefix=true", "--split_digits=true", "--allow_whitespace_only_pieces=true",
                        "--character_coverage=1.0", "--num_threads=1", "--minloglevel=2"],
                       cwd=tmp, check=True)
        shutil.copy(os.path.join(tmp, "tokenizer.model"), os.path.join(out_dir, "tokenizer.model"))


def write_safetensors(path, tensors, metadata=None):
    """A safetensors file (the format is a JSON header + raw little-endian data; tensors sorted by name)."""
    codes = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16"}
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": codes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


def read_safetensors(path):
    """The F32 tensors of a safetensors file written by write_safetensors."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {info['dtype']}, expected F32")
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np.float32).copy()).reshape(info["shape"])
    return out


def write_checkpoint(model, tok, out_dir):
    state = {k: v.detach().clone() for k, v in model.state_dict().items() if not k.startswith("aux")}
    write_safetensors(os.path.join(out_dir, "model.safetensors"), state, {"format": "pt"})
    text = dict(TEXT, model_type="llama", vocab_size=tok.vocab, bos_token_id=1, eos_token_id=2, torch_dtype="float32")
    vision = dict(VISION, model_type="clip_vision_model", hidden_act="quick_gelu", projection_dim=VISION["hidden_size"])
    config = {"architectures": ["LlavaForConditionalGeneration"], "ignore_index": -100, "image_token_index": tok.image,
              "model_type": "llava", "pad_token_id": tok.pad, "projector_hidden_act": "gelu", "text_config": text,
              "tie_word_embeddings": False, "torch_dtype": "float32", "vision_config": vision,
              "vision_feature_layer": -2, "vision_feature_select_strategy": "default"}
    size = VISION["image_size"]
    pre = {"crop_size": {"height": size, "width": size}, "do_center_crop": True, "do_convert_rgb": True,
           "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": MEAN,
           "image_processor_type": "CLIPImageProcessor", "image_std": STD, "resample": 3,
           "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": size}}
    gen = {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": tok.pad}
    for name, obj in (("config.json", config), ("preprocessor_config.json", pre), ("generation_config.json", gen)):
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")


def write_goldens(model, tok, rows, index, images, out_dir, count):
    """golden_N.safetensors: pixel_values, input_ids, full-prompt logits and 4 greedy tokens, for Sieve's test."""
    model.eval()
    with torch.no_grad():
        for n, r in enumerate(rows[:count]):
            px = pixel_values(images[[index[r["image"]]]])
            feats, _ = model.image_features(px)
            p = tok.prompt(r["question"])
            logits = model(torch.tensor([p]), feats)
            full, new = logits, []
            for _ in range(4):
                new.append(int(logits[0, -1].argmax()))
                logits = model(torch.tensor([p + new]), feats)
            write_safetensors(os.path.join(out_dir, f"golden_{n}.safetensors"), {
                "pixel_values": px.contiguous(), "input_ids": torch.tensor([p]),
                "logits": full.contiguous(), "generate.new_tokens": torch.tensor([new])},
                {"image": r["image"], "question": r["question"], "answer": r["answer"]})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=45, help="training time budget")
    ap.add_argument("--images-per-step", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-limit", type=int, default=300)
    ap.add_argument("--pack", action="store_true", help="train on one multi-turn sequence per image (all its questions)")
    ap.add_argument("--init", help="continue from this checkpoint directory's model.safetensors and tokenizer.model (its weights; "
                    "fresh optimiser, schedule and auxiliary heads)")
    ap.add_argument("--patch-aux", type=float, default=0.0,
                    help="weight of a dense auxiliary loss: each patch of the feature layer predicts the colour and shape covering it"
                         " (from the split's scenes.jsonl); the head is not saved")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    train_rows, train_index, train_images = load_split(args.train)
    test_rows, test_index, test_images = load_split(args.test)
    if args.init:
        if os.path.abspath(args.init) != os.path.abspath(args.out):
            shutil.copy(os.path.join(args.init, "tokenizer.model"), os.path.join(args.out, "tokenizer.model"))
    else:
        train_tokenizer(train_rows, args.out)
    tok = Tok(os.path.join(args.out, "tokenizer.model"))
    print(f"train: {len(train_rows)} questions on {len(train_images)} images; test: {len(test_rows)}; vocab {tok.vocab}", flush=True)

    model = Llava(VISION, TEXT, tok.vocab, tok.image)
    model.aux = nn.Linear(VISION["hidden_size"], len(COLOURS))
    model.aux_patch = nn.Linear(VISION["hidden_size"], 1 + len(COLOURS) * len(SHAPES))
    train_patch_labels = patch_labels(args.train, train_index, VISION["image_size"], VISION["patch_size"]) if args.patch_aux else None
    for name, p in model.named_parameters():
        if p.dim() == 2 and "embedding" not in name and "embed_tokens" not in name:
            nn.init.normal_(p, std=0.02)
    if args.init:
        state = read_safetensors(os.path.join(args.init, "model.safetensors"))
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or [m for m in missing if not m.startswith("aux")]:
            raise SystemExit(f"--init {args.init}: tensors do not match the model: missing {missing}, unexpected {unexpected}")
        print(f"continuing from {args.init}", flush=True)
    aux_targets = aux_labels_from_images(train_images)
    by_image = {}
    for r in train_rows:
        by_image.setdefault(train_index[r["image"]], []).append(r)
    image_ids = list(by_image)
    params = sum(p.numel() for n, p in model.named_parameters() if not n.startswith("aux"))
    print(f"parameters: {params:,}", flush=True)

    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    budget = args.minutes * 60
    start = time.time()
    step, seen = 0, 0
    warmup = 200
    while time.time() - start < budget:
        chosen = random.sample(image_ids, args.images_per_step)
        rows = [r for i in chosen for r in by_image[i]]
        px = pixel_values(train_images[chosen])
        hidden, cls = model.vision_tower.vision_model(px)
        feats = model.multi_modal_projector(hidden[:, 1:])
        aux = F.binary_cross_entropy_with_logits(model.aux(cls), aux_targets[chosen])
        if args.patch_aux:
            patch_logits = model.aux_patch(hidden[:, 1:])
            aux = aux + args.patch_aux / 0.3 * F.cross_entropy(patch_logits.reshape(-1, patch_logits.shape[-1]),
                                                             train_patch_labels[chosen].reshape(-1))
        if args.pack:
            ids, tgt = packed_batch([by_image[i] for i in chosen], tok)
            logits = model(ids, feats)
        else:
            where = {img: k for k, img in enumerate(chosen)}
            ids, tgt, img = batch(rows, tok, train_index)
            logits = model(ids, feats[[where[i] for i in img]])
        # ids has one <image> token; logits have P-1 more positions: shift targets to the expanded sequence.
        p = feats.shape[1]
        tgt_full = torch.full((ids.shape[0], logits.shape[1]), -100, dtype=torch.long)
        at = (ids == tok.image).int().argmax(dim=1)
        for i in range(ids.shape[0]):
            j = int(at[i])
            tgt_full[i, j + p:] = tgt[i, j + 1:]
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_full.reshape(-1), ignore_index=-100)
        total = loss + 0.3 * aux
        opt.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        frac = (time.time() - start) / budget
        lr = args.lr * min(1.0, (step + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        step += 1
        seen += len(rows)
        if step % 50 == 0:
            print(f"step {step} ({seen} questions, {time.time() - start:.0f} s): loss {loss.item():.4f} aux {aux.item():.4f} lr {lr:.2e}", flush=True)
        if step % 500 == 0:
            acc, kinds = evaluate(model, tok, test_rows, test_index, test_images, limit=args.eval_limit)
            print(f"  held-out accuracy (first {args.eval_limit}): {acc:.3f} {kinds}", flush=True)

    acc, kinds = evaluate(model, tok, test_rows, test_index, test_images)
    noise_acc, noise_kinds = evaluate(model, tok, test_rows, test_index, test_images, noise=True)
    print(f"final held-out accuracy: {acc:.4f} {kinds}", flush=True)
    print(f"with the image replaced by noise: {noise_acc:.4f} {noise_kinds}", flush=True)
    del model.aux
    del model.aux_patch
    write_checkpoint(model, tok, args.out)
    write_goldens(model, tok, test_rows, test_index, test_images, args.out, 3)
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump({"steps": step, "questions_seen": seen, "minutes": round((time.time() - start) / 60, 1),
                   "parameters": params, "heldout_accuracy": acc, "heldout_by_kind": kinds,
                   "noise_accuracy": noise_acc, "noise_by_kind": noise_kinds, "args": vars(args)}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
