#!/usr/bin/env python3
"""Checks that Python loads a webtune export and computes exactly what webtune computes.

    python scripts/check_sentence_transformers.py MODEL_DIR [--webtune target/release/webtune] [--embedding]

`SentenceTransformer(MODEL_DIR).encode(texts)` must return webtune's logits (max abs difference
<= 1e-4; with --embedding, an embedding model: `webtune embed`'s embeddings, within 1e-4) and `transformers.AutoModel` must load the encoder with no missing or unexpected weights.
Needs sentence-transformers (scripts/bench's target/ref-venv has it). Exits non-zero on failure.
"""
import argparse
import json
import subprocess
import sys

import numpy as np

TEXTS = [
    "a gorgeous, witty, seductive movie.",
    "dull and far too long",
    "",
    "Café naïve résumé — coöperate, Zürich.",
    "東京は日本の首都です。 🙂",
    " ".join(f"word{i}" for i in range(200)),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--webtune", default="target/release/webtune")
    ap.add_argument("--embedding", action="store_true", help="an embedding model: compare `webtune embed`")
    args = ap.parse_args()

    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel

    st = SentenceTransformer(args.model, device="cpu").encode(TEXTS, convert_to_numpy=True)
    command = "embed" if args.embedding else "predict"
    out = subprocess.run([args.webtune, command, "--model", args.model], input="\n".join(TEXTS) + "\n",
                         capture_output=True, text=True, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    ours = np.array(rows if args.embedding else [r["logits"] for r in rows], dtype=np.float32)
    diff = float(np.abs(st - ours).max())
    what = "embeddings" if args.embedding else "logits"
    print(f"sentence-transformers {what} {st.shape}, webtune {what} {ours.shape}, max abs difference {diff:.2e}")

    _, info = AutoModel.from_pretrained(args.model, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    print(f"transformers.AutoModel loading problems: {problems or 'none'}")
    ok = st.shape == ours.shape and diff <= 1e-4 and not problems
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
