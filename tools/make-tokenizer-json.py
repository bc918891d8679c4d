#!/usr/bin/env python3
"""Write a Hugging Face tokenizer.json for a SentencePiece BPE model, laid out as transformers'
LlamaConverter (legacy) writes it: vocab by id, merges ordered by the merged piece's rank, byte
fallback, Prepend("▁") + Replace(" ", "▁") normaliser, control pieces and user-defined symbols as
added tokens. Used to make the test resource for Sieve's tokenizer.json reader without transformers.

    /usr/bin/python3 tools/make-tokenizer-json.py MODEL.model OUT.json
"""
import json
import sys

import sentencepiece as spm


def main():
    model, out = sys.argv[1], sys.argv[2]
    sp = spm.SentencePieceProcessor(model_file=model)
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    merges = []
    for merged, rank in vocab.items():
        if sp.is_control(rank) or sp.is_unknown(rank) or sp.is_byte(rank):
            continue
        for cut in range(1, len(merged)):
            left, right = merged[:cut], merged[cut:]
            if left in vocab and right in vocab:
                merges.append((rank, vocab[left], vocab[right], left, right))
    merges.sort()
    added = []
    for i in range(sp.get_piece_size()):
        if sp.is_control(i) or sp.is_unknown(i) or sp.id_to_piece(i) == "<sep>":
            added.append({"id": i, "content": sp.id_to_piece(i), "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": not sp.id_to_piece(i) == "<sep>"})
    doc = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                           {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None, "post_processor": None,
        "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                                                     {"type": "ByteFallback"}, {"type": "Fuse"},
                                                     {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": sp.id_to_piece(sp.unk_id()), "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "vocab": vocab,
                  "merges": [f"{m[3]} {m[4]}" for m in merges]},
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
