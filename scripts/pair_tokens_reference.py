#!/usr/bin/env python3
"""Writes tests/fixtures/pair_tokens.json: the Python tokenizer's pair encodings of the golden
sentences (../shared/golden/minilm-l6-v2.json) paired in every order, each pair at the default
128 tokens and at 12 and 24 (where `longest_first` truncation shares the budget between both
sides), which tests/pair_encoding.rs compares webtune's `encode_pair` with, id for id.

The reference is what a Python user gets: `transformers`' fast tokenizer on the model's
tokenizer.json, called on lists as training pipelines call it (`tok(firsts, seconds,
truncation="longest_first", max_length=L)`); the generator checks that the `tokenizers` library
(`Tokenizer.encode(a, b)` with the same truncation) agrees. (A single `tok(a, "")` call differs:
transformers drops an empty second text and encodes `a` alone; the batched call, and webtune,
encode the pair as `[CLS] a [SEP] [SEP]`.)

    target/ref-venv/bin/python scripts/pair_tokens_reference.py
"""
import json
import os
import sys

import tokenizers
import transformers
from tokenizers import Tokenizer
from transformers import PreTrainedTokenizerFast

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
GOLDEN = os.path.join(ROOT, "..", "shared", "golden", "minilm-l6-v2.json")
TOKENIZER = os.path.join(ROOT, "www", "models", "all-MiniLM-L6-v2", "tokenizer.json")
OUT = os.path.join(ROOT, "tests", "fixtures", "pair_tokens.json")
MAX_LENS = [128, 24, 12]


def main():
    texts = [c["text"] for c in json.load(open(GOLDEN, encoding="utf-8"))["cases"]]
    fast = PreTrainedTokenizerFast(tokenizer_file=TOKENIZER)
    fast.backend_tokenizer.no_padding()
    plain = Tokenizer.from_file(TOKENIZER)
    plain.no_padding()
    pairs = []
    for max_len in MAX_LENS:
        plain.enable_truncation(max_len, strategy="longest_first")
        order = [(i, j) for i in range(len(texts)) for j in range(len(texts))]
        enc = fast([texts[i] for i, _ in order], [texts[j] for _, j in order],
                   truncation="longest_first", max_length=max_len, return_token_type_ids=True)
        for k, (i, j) in enumerate(order):
            ids, types = enc["input_ids"][k], enc["token_type_ids"][k]
            check = plain.encode(texts[i], texts[j])
            if ids != check.ids or types != check.type_ids:
                sys.exit(f"transformers and tokenizers disagree on pair ({i}, {j}) at {max_len}")
            pairs.append({"first": i, "second": j, "max_len": max_len, "input_ids": ids, "token_type_ids": types})
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"produced_with": {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__},
                   "texts": texts, "pairs": pairs}, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    truncated = sum(1 for p in pairs if len(p["input_ids"]) == p["max_len"])
    print(f"wrote {OUT}: {len(pairs)} pairs ({truncated} truncated to their limit)")


if __name__ == "__main__":
    main()
