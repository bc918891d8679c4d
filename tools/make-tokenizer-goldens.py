#!/usr/bin/python3
"""Writes the committed fixtures of the SentencePiece tokenizer tests:

  model-llava/src/test/resources/dev/sieve/llava/tokenizer/tiny-bpe.model           (trained here)
  model-llava/src/test/resources/dev/sieve/llava/tokenizer/tiny-bpe.goldens.jsonl   ({text, ids})
  model-llava/src/test/resources/dev/sieve/llava/tokenizer/llama2.goldens.jsonl     ({text, ids})

The ids come from SentencePiece itself (Debian: apt-get install python3-sentencepiece sentencepiece;
run with /usr/bin/python3 so `import sentencepiece` finds the Debian module). The Llama 2 model is read
from ../shared/tokenizers/llama2-tokenizer.model and is NOT copied into the repository (Meta's licence);
only the ids it produces are. Everything is seeded, so reruns give the same goldens. From the repo root:

    /usr/bin/python3 tools/make-tokenizer-goldens.py [--shared-dir ../shared]
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import tempfile

import sentencepiece as spm

OUT = "model-llava/src/test/resources/dev/sieve/llava/tokenizer"

WORDS = ("the a of and to in is was for on with as by at from that this it be are were not or an "
         "image picture photo cat dog man woman child street car tree sky house red blue green small "
         "large old new two three sitting standing running looking holding wearing next near under "
         "describe what where which who question answer detail scene object color token model vision "
         "language café naïve résumé façade jalapeño über straße").split()


def training_text(rng):
    """A few thousand deterministic sentences: enough to learn ~200 merges over a small alphabet."""
    lines = []
    for _ in range(4000):
        n = rng.randint(3, 14)
        words = [rng.choice(WORDS) for _ in range(n)]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words) + 1), str(rng.randint(0, 2025)))
        line = " ".join(words)
        line = line[0].upper() + line[1:] + rng.choice([".", "?", "!", ",", ";", ":"])
        if rng.random() < 0.05:
            line += " 日本語 東京"  # a few CJK characters make it into the alphabet, most do not
        lines.append(line)
    return "\n".join(lines) + "\n"


def train_tiny(path_prefix):
    rng = random.Random(20250101)
    with tempfile.TemporaryDirectory() as tmp:
        # spm_train records its input and output paths in the model, so train under fixed relative names in
        # a scratch directory: the committed .model is then byte-identical on every run.
        with open(os.path.join(tmp, "corpus.txt"), "w", encoding="utf-8") as f:
            f.write(training_text(rng))
        # Llama 2's settings, scaled down: BPE, byte fallback, identity normaliser, dummy prefix,
        # extra whitespace kept, digits split. One user-defined symbol exercises the pre-split path.
        subprocess.run([
            "spm_train", "--input=corpus.txt", "--model_prefix=tiny-bpe",
            "--model_type=bpe", "--vocab_size=500", "--byte_fallback=true",
            "--normalization_rule_name=identity", "--remove_extra_whitespaces=false",
            "--add_dummy_prefix=true", "--split_digits=true", "--allow_whitespace_only_pieces=true",
            "--character_coverage=0.9995", "--user_defined_symbols=<sep>",
            "--num_threads=1", "--seed_sentencepiece_size=100000", "--minloglevel=2",
        ], check=True, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.copyfile(os.path.join(tmp, "tiny-bpe.model"), path_prefix + ".model")


FIXED = [
    "", " ", "  ", "   ", "\n", "\t", " \n ", "Hello world", "hello world", "Hello  world", "Hello   world",
    " Hello world", "  Hello world", "Hello world ", "Hello world  ", " leading", "trailing ", "  both  ",
    "line one\nline two", "line one\n\nline two\n", "\n\nstarts with newlines", "tab\tseparated\tvalues",
    "mixed \t\n whitespace", "The cat sat on the mat.", "What is in the image?",
    "USER: <image>\nWhat is shown in this picture? ASSISTANT:", "<s>not a control token</s>", "<unk>",
    "<sep>", "a<sep>b", "<sep><sep>", " <sep> ", "x <sep>y", "<0x41>", "▁", "▁▁", "a▁b",
    "0", "7", "42", "1234567890", "3.14159", "-273.15", "1,000,000", "2025-01-01", "v1.2.3", "$19.99",
    "100%", "#hashtag", "@user", "user@example.com", "https://example.com/path?q=1&r=2",
    "!!!", "???", "...", "—", "–", "“quoted”", "‘single’", "«guillemets»", "(parens) [brackets] {braces}",
    "a+b=c", "x*y/z", "~`^|\\", "'\"", "café", "naïve", "résumé", "Straße", "über", "jalapeño", "façade",
    "Ångström", "Crème brûlée", "ñandú", "Zürich", "ÀÉÎÕÜ", "e\u0301", "A\u030A",
    "日本語", "東京", "日本語のテキスト", "中文分词测试", "你好，世界！", "한국어 문장", "こんにちは",
    "Привет, мир!", "Ελληνικά", "العربية", "עברית", "हिन्दी", "ภาษาไทย", "Tiếng Việt",
    "😀", "😀😀", "👍🏽", "👨‍👩‍👧‍👦", "🇯🇵", "I ❤ Java", "smile 😀 please", "⚡🔥💧", "∑∫√∞≠≤≥",
    "\u00a0non-breaking", "zero\u200bwidth", "\u3000ideographic space", "soft\u00adhyphen", "\u2028",
    "\x00", "\x01\x02", "\x7f", "\ufeffbom", "\uffff", "\U0001F600\U0001F601", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\U00010000",
    "A", "a", "Z", "I", "The", "the", "THE", "tHe", "ThE END", "antidisestablishmentarianism",
    "supercalifragilisticexpialidocious", "aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "abababababababab",
    "Describe the image in detail.", "A man is holding a red umbrella next to a blue car.",
    "def f(x):\n    return x * 2\n", "{\"key\": [1, 2, 3]}", "<html><body>hi</body></html>",
    "SELECT * FROM t WHERE a = 1;", "C:\\Users\\me", "snake_case_name", "camelCaseName", "kebab-case-name",
]


def generated(rng):
    """Random mixes of the fixed strings' ingredients: words, digits, spaces, unicode, bytes."""
    alphabet = (list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"()-_/\n\t")
                + list("éèêëàâäôöûüçñßøåæœ") + list("日本語東京中文字") + ["😀", "🚀", "€", "£", "©", "→", "\u0301"])
    out = []
    for _ in range(180):
        kind = rng.random()
        if kind < 0.4:
            n = rng.randint(1, 12)
            s = " ".join(rng.choice(WORDS) for _ in range(n))
        elif kind < 0.7:
            n = rng.randint(1, 30)
            s = "".join(rng.choice(alphabet) for _ in range(n))
        else:
            n = rng.randint(1, 6)
            seps = [" ", "  ", "\n", " \n", "\t", ""]
            s = "".join(rng.choice(WORDS) + rng.choice(seps) for _ in range(n))
            if rng.random() < 0.5:
                s = rng.choice(["", " ", "  ", "\n"]) + s
        if rng.random() < 0.2:
            s += rng.choice(["", " ", "  ", "\n"])
        out.append(s)
    return out


def random_id_sequences(sp, rng):
    """Id sequences SentencePiece never produces from text: control ids, unk, stray and broken byte runs."""
    n = sp.get_piece_size()
    special = [sp.unk_id(), sp.bos_id(), sp.eos_id()]
    byte_ids = [i for i in range(n) if sp.is_byte(i)]
    sequences = [[], [sp.bos_id()], [sp.unk_id()], [sp.bos_id(), sp.eos_id()]]
    for _ in range(100):
        seq = []
        for _ in range(rng.randint(1, 10)):
            r = rng.random()
            seq.append(rng.choice(special) if r < 0.15 else rng.choice(byte_ids) if r < 0.45 else rng.randrange(n))
        sequences.append(seq)
    return sequences


def write_goldens(model_path, texts, out_path, rng):
    """Per line: text, the ids SentencePiece encodes it to (no BOS) and what it decodes those ids to.
    Then id sequences that do not come from any text, with only ids and decoded."""
    sp = spm.SentencePieceProcessor(model_file=model_path)
    with open(out_path, "w", encoding="utf-8") as f:
        for t in texts:
            ids = sp.encode(t)
            f.write(json.dumps({"text": t, "ids": ids, "decoded": sp.decode(ids)}, ensure_ascii=True) + "\n")
        sequences = random_id_sequences(sp, rng)
        for ids in sequences:
            f.write(json.dumps({"ids": ids, "decoded": sp.decode(ids)}, ensure_ascii=True) + "\n")
    print(f"{out_path}: {len(texts)} encode goldens, {len(texts) + len(sequences)} decode goldens")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared-dir", default=os.path.join("..", "shared"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    train_tiny(os.path.join(OUT, "tiny-bpe"))
    texts = FIXED + generated(random.Random(7))
    seen = set()
    texts = [t for t in texts if not (t in seen or seen.add(t))]
    write_goldens(os.path.join(OUT, "tiny-bpe.model"), texts, os.path.join(OUT, "tiny-bpe.goldens.jsonl"), random.Random(11))
    llama = os.path.join(args.shared_dir, "tokenizers", "llama2-tokenizer.model")
    if os.path.exists(llama):
        write_goldens(llama, texts, os.path.join(OUT, "llama2.goldens.jsonl"), random.Random(13))
    else:
        print(f"{llama} not found: llama2.goldens.jsonl left as it is")


if __name__ == "__main__":
    main()
