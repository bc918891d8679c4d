#!/usr/bin/env python3
"""Train the bundled demo model: a small LLaVA-1.5-architecture model on the synthetic shapes task.

The model is defined here in plain PyTorch with exactly the llava-hf architecture and tensor names
(CLIP pre-LN ViT with quick_gelu, vision_feature_layer -2 without [CLS], 2-layer GELU projector,
Llama decoder with RMSNorm, rotate-half RoPE, GQA, SwiGLU, untied lm_head), so that Sieve (and
transformers' LlavaForConditionalGeneration) load the result as any llava-hf checkpoint.

Recipe, LLaVA's own in miniature, two stages:
1. The vision tower alone (--vision-minutes), standing in for CLIP's pre-training: dense targets from the
   split's scenes.jsonl (every patch names the colour and shape covering it, whether an object's centre
   is in it, its row and column; the last layer's [CLS] names the colour-shape pairs present, which
   gives the [CLS] attention that VisPruner, FasterVLM and VisionZip rank patches by a meaning).
2. The tower frozen (its feature-layer states computed once), the projector and the language model
   (--minutes) on all questions of an image packed as turns of one LLaVA-1.5 conversation
   ("USER: <image>\n{question} ASSISTANT: {answer}</s>..."), cross-entropy on the answer and </s>,
   plus attention guidance (--guide): in decoder layer 0, heads 0 and 1 of each content word of a
   question (a colour, a shape, an image half) are pulled onto the patches it names; in layer 1 the
   same heads of the token before the answer onto those words. Without it, a model this small stays
   for thousands of steps on the plateau where it answers from priors (it takes a chain of five
   small matrices to route a question word to the right patch); with it, the route is there in a few
   hundred steps and the answer loss does the rest. Relative questions get a longer route (each
   named object found by colour AND shape, its centre probed, the two centres compared in layer 2;
   see GUIDANCE).
Training heads and probes are not saved (LLaVA never uses them, as it never uses CLIP's projection); the matrix
products run in bfloat16 autocast (weights stay float32); goldens and evaluation run in float32.

Needs Debian's python3-torch, python3-pil, python3-sentencepiece and sentencepiece (spm_train):
    sudo apt-get install python3-torch python3-pil python3-sentencepiece sentencepiece

Usage (from the repository root; the whole recipe is in models/shapes-llava/README.md):
    ./sieve dataset shapes --out data/shapes-train --count 30000 --seed 1 --questions-per-image 6
    ./sieve dataset shapes --out data/shapes-test --count 500 --seed 2 --questions-per-image 2
    /usr/bin/python3 tools/train-shapes-llava.py --train data/shapes-train --test data/shapes-test \
        --out models/shapes-llava --vision-minutes 15 --minutes 38
"""
import argparse
import functools
import json
import math
import os
import random
import re
import shutil
import struct
import subprocess
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
        self.keep_probs, self.probs = False, None

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        rep = self.heads // self.kv
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd) + mask
        p = torch.softmax(s.float(), dim=-1)
        self.probs = p if self.keep_probs else None  # for the attention-guidance loss
        return self.o_proj((p @ v).transpose(1, 2).reshape(b, t, -1))


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
        self.keep_output, self.output = False, None

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        x = x + self.mlp(self.post_attention_layernorm(x))
        self.output = x if self.keep_output else None  # for the position probes of relative questions
        return x


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


def init_weights(model):
    """transformers' initialisation (initializer_range 0.02 for every matrix, embedding and the patch
    convolution; norms at one, biases at zero). PyTorch's default N(0, 1) embeddings would make text
    tokens and position embeddings some fifty times larger than the projected patches and the patch
    contents, and the model would learn to ignore both."""
    for name, p in model.named_parameters():
        if p.dim() >= 2:
            nn.init.normal_(p, std=0.02)
        elif name.endswith("class_embedding"):
            nn.init.normal_(p, std=p.shape[0] ** -0.5)


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

    # The task has a few thousand distinct questions: encode each once.
    @functools.lru_cache(maxsize=None)
    def prompt(self, question):
        return [self.sp.bos_id()] + self.sp.encode("USER: ") + [self.image] + self.sp.encode("\n" + question + " ASSISTANT:")

    @functools.lru_cache(maxsize=None)
    def answer(self, text):
        return self.sp.encode(text) + [self.sp.eos_id()]

    @functools.lru_cache(maxsize=None)
    def content_word(self, piece, relative):
        """The word of a piece if it names what to look at (colour, shape, image half; not the relation)."""
        if piece >= self.image:
            return None
        word = self.sp.id_to_piece(piece).lstrip("\u2581")
        return word if word in CONTENT_WORDS and not (relative and word in QUADRANT_WORDS) else None

    @functools.lru_cache(maxsize=None)
    def is_relation(self, piece):
        return piece < self.image and self.sp.id_to_piece(piece).lstrip("\u2581") in RELATION_WORDS

    @functools.lru_cache(maxsize=None)
    def turn(self, question):
        """A later turn of a multi-turn conversation."""
        return self.sp.encode("USER: " + question + " ASSISTANT:")


def packed_batch(groups, tok):
    """One sequence per image holding all its questions as turns (LLaVA-1.5 multi-turn:
    "USER: <image>\\nQ1 ASSISTANT: A1</s>USER: Q2 ASSISTANT: A2</s>"), so the visual tokens are run once per
    image for several answers. Questions come in a fresh random order each time, so every kind is also
    trained as the first turn (the only one evaluation and the demo ask). Returns ids, targets (-100
    except where the next token is an answer token or its </s>) and, for rows that carry their image's
    "objects", the attention-guidance entries (layer, sequence, query position, head, "patches" or
    "text", wanted positions) and position-probe entries (layer, sequence, position, target) described
    at GUIDANCE below."""
    seqs, answer_mask, guide, probes = [], [], [], []
    for b, rows in enumerate(groups):
        rows = random.sample(rows, len(rows))
        seq, mask = [], []
        for n, r in enumerate(rows):
            turn = tok.prompt(r["question"]) if n == 0 else tok.turn(r["question"])
            pair = r["kind"] == "relative"
            words = [(len(seq) + k, w) for k, piece in enumerate(turn) if (w := tok.content_word(piece, pair))]
            relation = [len(seq) + k for k, piece in enumerate(turn) if pair and tok.is_relation(piece)]
            seq += turn
            mask += [False] * len(turn)
            if "objects" in r:
                guide += question_guidance(b, words, len(seq) - 1, r["objects"])
                if pair:
                    g, pr = relative_guidance(b, words, relation[0], len(seq) - 1, r["objects"])
                    guide += g
                    probes += pr
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
    return ids, tg, guide, probes


# ----------------------------------------------------------------------------- stage 1: the vision tower

def covers(shape, dx, dy, r):
    """Sieve's rasteriser (dev.sieve.shapes.ShapeKind.covers) on pixel-centre offsets."""
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    if shape == "square":
        return (np.abs(dx) <= 0.8 * r) & (np.abs(dy) <= 0.8 * r)
    if shape == "triangle":
        return (dy >= -r) & (dy <= 0.8 * r) & (np.abs(dx) <= r * (dy + r) / (1.8 * r))
    return ((np.abs(dx) <= r) & (np.abs(dy) <= 0.34 * r)) | ((np.abs(dy) <= r) & (np.abs(dx) <= 0.34 * r))


def scene_covers(directory, index, size, patch):
    """Each scene of the split's scenes.jsonl whose image is in index, as (image index, [(object, patch
    coverage)]): the coverage is the object's pixel count in every patch, [grid, grid], by Sieve's rasteriser."""
    grid = size // patch
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    with open(os.path.join(directory, "scenes.jsonl"), encoding="utf-8") as f:
        for line in f:
            scene = json.loads(line)
            if scene["image"] in index:
                yield index[scene["image"]], [
                    (o, covers(o["shape"], xs - o["cx"], ys - o["cy"], o["r"]).reshape(grid, patch, grid, patch).sum(axis=(1, 3)))
                    for o in scene["objects"]]


def scene_targets(directory, index, size, patch):
    """Dense targets. Per patch: colour (0 background, else 1 + colour index) and shape (0 background, else
    1 + shape index) of the object covering most of its pixels, and whether an object's centre lies in it.
    Per image: which colour-shape pairs, colours and shapes are present."""
    grid = size // patch
    n = len(index)
    colour = np.zeros((n, grid * grid), dtype=np.int64)
    shape = np.zeros((n, grid * grid), dtype=np.int64)
    centre = np.zeros((n, grid * grid), dtype=np.float32)
    present = np.zeros((n, len(COLOURS) * len(SHAPES) + len(COLOURS) + len(SHAPES)), dtype=np.float32)
    for i, objects in scene_covers(directory, index, size, patch):
        best = np.zeros((grid, grid))
        c_label = np.zeros((grid, grid), dtype=np.int64)
        s_label = np.zeros((grid, grid), dtype=np.int64)
        for o, cover in objects:
            c, s = COLOURS.index(o["color"]), SHAPES.index(o["shape"])
            better = cover > best
            c_label[better], s_label[better] = 1 + c, 1 + s
            best[better] = cover[better]
            centre[i, min(int(o["cy"]) // patch, grid - 1) * grid + min(int(o["cx"]) // patch, grid - 1)] = 1
            present[i, [c * len(SHAPES) + s, len(COLOURS) * len(SHAPES) + c, len(COLOURS) * len(SHAPES) + len(COLOURS) + s]] = 1
        colour[i], shape[i] = c_label.reshape(-1), s_label.reshape(-1)
    return {k: torch.from_numpy(v) for k, v in dict(colour=colour, shape=shape, centre=centre, present=present).items()}


def scene_objects(directory, index, size, patch):
    """Per image index: its objects as (colour, shape, quadrant, indices of the patches it covers, centre x
    and y scaled to [-1, 1])."""
    return {i: [(o["color"], o["shape"], (0 if o["cy"] < size / 2 else 2) + (0 if o["cx"] < size / 2 else 1),
                 tuple(np.flatnonzero(cover.reshape(-1) > 0)), 2 * o["cx"] / size - 1, 2 * o["cy"] / size - 1)
                for o, cover in objects]
            for i, objects in scene_covers(directory, index, size, patch)}


# GUIDANCE. Chosen heads of chosen tokens are pulled onto the positions a question is about (heads 0 and 1
# unless said otherwise):
# - layer 0: every content word (a colour, a shape, an image half) looks at the patches it names;
# - layer 1: the token before the answer reads the content words.
# A relative question ("Is the red circle left of the blue square?") needs more: two objects found by a
# conjunction (red AND circle), their positions compared. So, in addition:
# - layer 0: head 2 of each object's shape word reads its colour word ("red" before "circle");
# - layer 1: heads 0 and 1 of that shape word look at the patches of that one object, and a probe
#   (a training-only linear map) must read the object's centre from the shape word's state after it;
# - layer 2: head 0 of the token before the answer reads the first object's shape word, head 1 the
#   second's, head 2 the relation word ("left" or "above"); a probe must read the centres' difference
#   (first minus second, x and y) from its state after layer 2.
PLURALS = {s + ("es" if s.endswith("s") else "s"): s for s in SHAPES}
QUADRANT_WORDS = {"top", "bottom", "left", "right"}
CONTENT_WORDS = set(COLOURS) | set(SHAPES) | set(PLURALS) | QUADRANT_WORDS
RELATION_WORDS = {"left", "above"}
PROBED_LAYERS = (1, 2)


def question_guidance(b, words, last, objects):
    """GUIDANCE entries of one question of sequence b common to every kind: words are its (position,
    content word) pairs, last the position of the token before the answer."""
    out = [(0, b, at, head, "patches", word_patches(word, objects)) for at, word in words for head in (0, 1)]
    return out + [(1, b, last, head, "text", tuple(at for at, _ in words)) for head in (0, 1)]


def relative_guidance(b, words, relation, last, objects):
    """The relative question's own GUIDANCE entries and position-probe entries (layer, sequence, position,
    target x and y); words are its four content words (colour, shape, colour, shape), relation the
    position of "left" or "above"."""
    (ca, colour_a), (sa, shape_a), (cb, colour_b), (sb, shape_b) = words
    a, b_ = (next(o for o in objects if o[0] == c and o[1] == s) for c, s in ((colour_a, shape_a), (colour_b, shape_b)))
    guide = [(0, b, sa, 2, "text", (ca,)), (0, b, sb, 2, "text", (cb,))]
    guide += [(1, b, at, head, "patches", o[3]) for at, o in ((sa, a), (sb, b_)) for head in (0, 1)]
    guide += [(2, b, last, 0, "text", (sa,)), (2, b, last, 1, "text", (sb,)), (2, b, last, 2, "text", (relation,))]
    probes = [(1, b, sa, (a[4], a[5])), (1, b, sb, (b_[4], b_[5])), (2, b, last, (a[4] - b_[4], a[5] - b_[5]))]
    return guide, probes


def word_patches(word, objects):
    """Patches of the objects one content word names: a colour, a shape, or an image half."""
    half = {"top": (0, 1), "bottom": (2, 3), "left": (0, 2), "right": (1, 3)}.get(word)
    shape = PLURALS.get(word, word)
    return tuple(sorted({p for o in objects if o[0] == word or o[1] == shape or (half and o[2] in half) for p in o[3]}))


class VisionHeads(nn.Module):
    """Training-only heads standing in for CLIP's pre-training (not saved; LLaVA never uses them). On the
    feature layer every patch names the colour and shape covering it, whether an object's centre is in
    it (so objects can be counted) and its own row and column (so positions stay readable after the
    tower). The last layer's [CLS] names what the scene holds, which gives its attention — the signal
    VisPruner, FasterVLM and VisionZip rank patches by — a meaning."""

    def __init__(self, h, grid):
        super().__init__()
        self.norm = nn.LayerNorm(h)
        self.colour = nn.Linear(h, 1 + len(COLOURS))
        self.shape = nn.Linear(h, 1 + len(SHAPES))
        self.centre = nn.Linear(h, 1)
        self.row = nn.Linear(h, grid)
        self.col = nn.Linear(h, grid)
        self.present = nn.Linear(h, len(COLOURS) * len(SHAPES) + len(COLOURS) + len(SHAPES))
        self.grid = grid

    def losses(self, hidden, cls, t):
        x = self.norm(hidden[:, 1:])
        b, p, _ = x.shape
        where = torch.arange(p)
        return {"colour": F.cross_entropy(self.colour(x).reshape(b * p, -1), t["colour"].reshape(-1)),
                "shape": F.cross_entropy(self.shape(x).reshape(b * p, -1), t["shape"].reshape(-1)),
                "centre": F.binary_cross_entropy_with_logits(self.centre(x).squeeze(-1), t["centre"]),
                "row": F.cross_entropy(self.row(x).reshape(b * p, -1), (where // self.grid).repeat(b)),
                "col": F.cross_entropy(self.col(x).reshape(b * p, -1), (where % self.grid).repeat(b)),
                "present": F.binary_cross_entropy_with_logits(self.present(cls), t["present"])}

    def object_patch_accuracy(self, hidden, t):
        """Share of object-covered patches whose colour and shape are both named right."""
        x = self.norm(hidden[:, 1:])
        on = t["colour"] > 0
        ok = (self.colour(x).argmax(-1) == t["colour"]) & (self.shape(x).argmax(-1) == t["shape"])
        return float(ok[on].float().mean())


def bf16():
    """Training runs its matrix products in bfloat16 (weights, optimiser state and everything written stay
    float32): on CPUs with AMX or AVX512-BF16 this makes a step about three times faster."""
    return torch.autocast("cpu", dtype=torch.bfloat16)


def cosine_lr(base, step, warmup, frac):
    return base * min(1.0, (step + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


def pretrain_vision(model, train_images, targets, test_images, test_targets, minutes, batch, lr):
    """Stage 1: the vision tower alone on the dense scene targets (LLaVA starts from a pre-trained CLIP)."""
    tower = model.vision_tower.vision_model
    grid = VISION["image_size"] // VISION["patch_size"]
    heads = VisionHeads(VISION["hidden_size"], grid)
    params = list(tower.parameters()) + list(heads.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01, betas=(0.9, 0.98))
    start, step, budget = time.time(), 0, minutes * 60
    test_px = pixel_values(test_images[:200])
    test_t = {k: v[:200] for k, v in test_targets.items()}
    while time.time() - start < budget:
        chosen = random.sample(range(len(train_images)), batch)
        with bf16():
            hidden, cls = tower(pixel_values(train_images[chosen]))
            parts = heads.losses(hidden, cls, {k: v[chosen] for k, v in targets.items()})
        loss = sum(parts.values())
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        for g in opt.param_groups:
            g["lr"] = cosine_lr(lr, step, 100, (time.time() - start) / budget)
        opt.step()
        step += 1
        if step % 100 == 0:
            with torch.no_grad():
                th, _ = tower(test_px)
                acc = heads.object_patch_accuracy(th, test_t)
            print(f"vision step {step} ({time.time() - start:.0f} s): loss {loss.item():.4f} "
                  + " ".join(f"{k} {v.item():.3f}" for k, v in parts.items())
                  + f" | held-out object patches right: {acc:.3f}", flush=True)
    with torch.no_grad():
        th, _ = tower(test_px)
        acc = heads.object_patch_accuracy(th, test_t)
    print(f"vision done: {step} steps, held-out object patches with colour and shape right: {acc:.3f}", flush=True)
    return {"steps": step, "heldout_object_patch_accuracy": round(acc, 4)}


def feature_layer(model, pixels_of, count, fast=False, chunk=256):
    """The frozen tower's feature-layer patch states, [N, P, H], of pixels_of(slice) for count images
    (computed once: LLaVA keeps its vision tower frozen, so stage 2 never runs it again). fast: in
    bfloat16, for the training split; evaluation uses float32, as Sieve does."""
    tower = model.vision_tower.vision_model
    out = []
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=fast):
        for s in range(0, count, chunk):
            x = tower.pre_layrnorm(tower.embeddings(pixels_of(slice(s, s + chunk))))
            for layer in tower.encoder.layers[:-1]:  # vision_feature_layer -2: the last layer is not needed
                x = layer(x)
            out.append(x[:, 1:].float())
    return torch.cat(out)


# ----------------------------------------------------------------------------- stage 2: projector + LLM

def evaluate(model, tok, rows, index, hidden, limit=None):
    """Greedy answers (up to 6 pieces) of the first turn, scored by exact match; hidden holds the
    feature-layer states of the split's images."""
    model.eval()
    rows = rows[:limit] if limit else rows
    correct, per_kind = 0, {}
    with torch.no_grad():
        for r in rows:
            feats = model.multi_modal_projector(hidden[index[r["image"]]][None])
            p = tok.prompt(r["question"])
            ids = []
            for _ in range(6):
                nxt = int(model(torch.tensor([p + ids]), feats)[0, -1].argmax())
                if nxt == tok.sp.eos_id():
                    break
                ids.append(nxt)
            ok = tok.sp.decode(ids).strip() == r["answer"]
            correct += ok
            k = per_kind.setdefault(r["kind"], [0, 0])
            k[0] += ok
            k[1] += 1
    model.train()
    return correct / len(rows), {k: round(v[0] / v[1], 3) for k, v in sorted(per_kind.items())}


def guidance_loss(decoder, guide, j, p, n):
    """Mean over guided layers of the mean over their entries of -log(attention mass the query puts on the
    wanted positions); j: first image position, p: image rows, n: expanded sequence length."""
    total, terms = 0, 0
    for layer in sorted({g[0] for g in guide}):
        entries = [g for g in guide if g[0] == layer and g[5]]
        if not entries:
            continue
        b, q, h = (torch.tensor([g[k] for g in entries]) for k in (1, 2, 3))
        wanted = torch.zeros(len(entries), n)
        for m, g in enumerate(entries):
            # text positions after <image> moved by its expansion to p rows; patches start at j
            wanted[m, [x + p - 1 for x in g[5]] if g[4] == "text" else [j + x for x in g[5]]] = 1
        mass = (decoder[layer].self_attn.probs[b, h, q + p - 1] * wanted).sum(-1)
        total, terms = total - mass.clamp_min(1e-6).log().mean(), terms + 1
    return total / max(terms, 1)


def probe_loss(decoder, probes_of, entries, p):
    """Mean squared error of the position probes (GUIDANCE) over their entries, layer by layer; text
    positions after <image> move by its expansion to p rows."""
    total = 0
    for layer, probe in probes_of.items():
        chosen = [e for e in entries if e[0] == layer]
        if chosen:
            b, at = torch.tensor([e[1] for e in chosen]), torch.tensor([e[2] + p - 1 for e in chosen])
            total = total + F.mse_loss(probe(decoder[layer].output[b, at].float()), torch.tensor([e[3] for e in chosen]))
    return total


def train_language(model, tok, by_image, hidden, test, minutes, batch, lr, guide_weight):
    """Stage 2: projector and language model on the cached features, vision tower frozen (LLaVA's recipe).
    guide_weight: weight of the attention-guidance and position-probe losses (GUIDANCE)."""
    test_rows, test_index, test_hidden = test
    decoder = model.language_model.model.layers
    guided_layers = list(decoder)[:3]
    for layer in guided_layers:
        layer.self_attn.keep_probs = bool(guide_weight)
    for n in PROBED_LAYERS:
        decoder[n].keep_output = bool(guide_weight)
    h = TEXT["hidden_size"]
    probes_of = {n: nn.Linear(h, 2) for n in PROBED_LAYERS}  # training-only, like VisionHeads
    params = list(model.multi_modal_projector.parameters()) + list(model.language_model.parameters())
    params += [w for probe in probes_of.values() for w in probe.parameters()]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01, betas=(0.9, 0.98))
    image_ids = list(by_image)
    start, step, seen, budget = time.time(), 0, 0, minutes * 60
    while time.time() - start < budget:
        chosen = random.sample(image_ids, batch)
        ids, tgt, guide, probes = packed_batch([by_image[i] for i in chosen], tok)
        with bf16():
            logits = model(ids, model.multi_modal_projector(hidden[chosen])).float()
        # ids hold one <image> token that became P rows: shift the targets onto the expanded sequence.
        p = hidden.shape[1]
        j = int((ids[0] == tok.image).int().argmax())
        tgt_full = torch.full((ids.shape[0], logits.shape[1]), -100, dtype=torch.long)
        tgt_full[:, j + p:] = tgt[:, j + 1:]
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_full.reshape(-1), ignore_index=-100)
        guided = guidance_loss(decoder, guide, j, p, logits.shape[1]) if guide_weight else torch.zeros(())
        probed = probe_loss(decoder, probes_of, probes, p) if guide_weight and probes else torch.zeros(())
        opt.zero_grad()
        (loss + guide_weight * (guided + probed)).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        lr_now = cosine_lr(lr, step, 200, (time.time() - start) / budget)
        for g in opt.param_groups:
            g["lr"] = lr_now
        opt.step()
        step += 1
        seen += sum(len(by_image[i]) for i in chosen)
        if step % 50 == 0:
            print(f"step {step} ({seen} questions, {time.time() - start:.0f} s): loss {loss.item():.4f} "
                  f"guidance {guided.item():.4f} probes {probed.item():.4f} lr {lr_now:.2e}", flush=True)
        if step % 500 == 0:
            acc, kinds = evaluate(model, tok, test_rows, test_index, test_hidden, limit=300)
            print(f"  held-out accuracy (first 300): {acc:.3f} {kinds}", flush=True)
    for layer in guided_layers:
        layer.self_attn.keep_probs = False
    for n in PROBED_LAYERS:
        decoder[n].keep_output = False
    return {"steps": step, "questions_seen": seen}

def train_tokenizer(rows, out_dir):
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "corpus.txt"), "w", encoding="utf-8") as f:
            for r in rows:
                f.write("USER: " + r["question"] + " ASSISTANT: " + r["answer"] + "\n")
        # Llama 2's trainer options (BPE, byte fallback, identity normalisation, split digits). The corpus
        # has only a few dozen words, so a vocabulary larger than the merges it allows (hard limit off)
        # makes every word one piece and every answer one token.
        subprocess.run(["spm_train", "--input=corpus.txt", "--model_prefix=tokenizer", "--model_type=bpe",
                        "--vocab_size=1000", "--hard_vocab_limit=false", "--byte_fallback=true",
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
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
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
        write_json(os.path.join(out_dir, name), obj)


def write_json(path, obj):
    with open(path, "w") as f:
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
    ap.add_argument("--vision-minutes", type=float, default=15, help="stage 1 budget: the vision tower on dense targets")
    ap.add_argument("--minutes", type=float, default=38, help="stage 2 budget: projector and language model (0: stop after stage 1, for a later --init)")
    ap.add_argument("--vision-batch", type=int, default=64, help="images per stage-1 step")
    ap.add_argument("--images-per-step", type=int, default=32, help="images (each with all its questions) per stage-2 step")
    ap.add_argument("--vision-lr", type=float, default=2e-3)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--guide", type=float, default=1.0,
                    help="weight of the attention-guidance and position-probe losses (0: none): chosen heads of decoder "
                         "layers 0-2 are pulled onto the words and patches a question is about (GUIDANCE; from scenes.jsonl)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", help="start from this checkpoint directory's weights and tokenizer.model "
                    "(with --vision-minutes 0 its vision tower is kept as is)")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    begin = time.time()

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
    init_weights(model)
    if args.init:
        state = read_safetensors(os.path.join(args.init, "model.safetensors"))
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise SystemExit(f"--init {args.init}: tensors do not match the model: missing {missing}, unexpected {unexpected}")
        print(f"starting from {args.init}", flush=True)
    params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {params:,}", flush=True)

    vision_report = {}
    if args.vision_minutes > 0:
        size, patch = VISION["image_size"], VISION["patch_size"]
        vision_report = pretrain_vision(model, train_images, scene_targets(args.train, train_index, size, patch), test_images,
                                        scene_targets(args.test, test_index, size, patch), args.vision_minutes,
                                        args.vision_batch, args.vision_lr)
    if args.minutes <= 0:
        # Stage 1 only: the checkpoint (random language model) is for a later --init ... --vision-minutes 0.
        write_checkpoint(model, tok, args.out)
        write_json(os.path.join(args.out, "training.json"), {"minutes": round((time.time() - begin) / 60, 1),
                                                             "vision": vision_report, "parameters": params, "args": vars(args)})
        print(f"stage 1 only (--minutes 0): wrote {args.out}", flush=True)
        return
    for p in model.vision_tower.parameters():
        p.requires_grad_(False)
    t0 = time.time()
    train_hidden = feature_layer(model, lambda s: pixel_values(train_images[s]), len(train_images), fast=True)
    test_hidden = feature_layer(model, lambda s: pixel_values(test_images[s]), len(test_images))
    print(f"cached feature-layer states of {len(train_images) + len(test_images)} images in {time.time() - t0:.0f} s", flush=True)
    del train_images

    by_image = {}
    objects = scene_objects(args.train, train_index, VISION["image_size"], VISION["patch_size"]) if args.guide else {}
    for r in train_rows:
        i = train_index[r["image"]]
        if args.guide:
            r["objects"] = objects[i]
        by_image.setdefault(i, []).append(r)
    language_report = train_language(model, tok, by_image, train_hidden, (test_rows, test_index, test_hidden),
                                     args.minutes, args.images_per_step, args.lr, args.guide)
    minutes = (time.time() - begin) / 60

    acc, kinds = evaluate(model, tok, test_rows, test_index, test_hidden)
    print(f"final held-out accuracy: {acc:.4f} {kinds}", flush=True)
    noise = torch.randn(len(test_images), 3, VISION["image_size"], VISION["image_size"])
    noise_hidden = feature_layer(model, lambda s: noise[s], len(noise))
    noise_acc, noise_kinds = evaluate(model, tok, test_rows, test_index, noise_hidden)
    print(f"with the image replaced by noise: {noise_acc:.4f} {noise_kinds}", flush=True)
    write_checkpoint(model, tok, args.out)
    write_goldens(model, tok, test_rows, test_index, test_images, args.out, 3)
    write_json(os.path.join(args.out, "training.json"), {
        "minutes": round(minutes, 1), "vision": vision_report, "language": language_report, "parameters": params,
        "heldout_accuracy": acc, "heldout_by_kind": kinds, "noise_accuracy": noise_acc, "noise_by_kind": noise_kinds,
        "args": vars(args)})


if __name__ == "__main__":
    main()
