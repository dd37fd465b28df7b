#!/usr/bin/env python3
"""Checks that Python loads a webtune export and computes exactly what webtune computes.

    python scripts/check_sentence_transformers.py MODEL_DIR [--webtune target/release/webtune]

`SentenceTransformer(MODEL_DIR).encode(texts)` must return webtune's logits (max abs difference
<= 1e-4) and `transformers.AutoModel` must load the encoder with no missing or unexpected weights.
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
    args = ap.parse_args()

    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel

    st = SentenceTransformer(args.model, device="cpu").encode(TEXTS, convert_to_numpy=True)
    out = subprocess.run([args.webtune, "predict", "--model", args.model], input="\n".join(TEXTS) + "\n",
                         capture_output=True, text=True, check=True).stdout
    ours = np.array([json.loads(line)["logits"] for line in out.splitlines()], dtype=np.float32)
    diff = float(np.abs(st - ours).max())
    print(f"sentence-transformers logits {st.shape}, webtune logits {ours.shape}, max abs difference {diff:.2e}")

    _, info = AutoModel.from_pretrained(args.model, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    print(f"transformers.AutoModel loading problems: {problems or 'none'}")
    ok = st.shape == ours.shape and diff <= 1e-4 and not problems
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
