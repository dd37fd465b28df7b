#!/usr/bin/env python3
"""The PyTorch reference recipe, for timing beside webtune in the same benchmark run.

all-MiniLM-L6-v2 from www/models (local files only), max_len 128, dynamic padding, attention-masked
mean pooling -> Linear head, AdamW (0.9/0.999, eps 1e-8, wd 0.01), lr 2e-5 encoder / 1e-3 head,
constant LR, batch 32, seed; `head` freezes the encoder, `lastK` trains the top K layers (dropout
0.1 in them), `full` trains everything. Prints one JSON object: dev accuracy/macro-F1 after each
epoch and each epoch's wall time.

Needs torch and transformers (scripts/bench installs them into target/ref-venv when asked).
"""
import argparse
import csv
import json
import os
import random
import sys
import time

import torch
from transformers import BertModel, PreTrainedTokenizerFast


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def load(model_dir):
    """The tokenizer (batches padded to their longest text) and the encoder, from local files."""
    tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(model_dir, "tokenizer.json"))
    tok.pad_token = "[PAD]"
    # tokenizer.json pads to 128 by itself; batches are padded to their longest text instead.
    tok.backend_tokenizer.no_padding()
    tok.backend_tokenizer.no_truncation()
    return tok, BertModel.from_pretrained(model_dir, add_pooling_layer=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--valid", required=True)
    ap.add_argument("--strategy", default="last2")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--eval-last", action="store_true", help="evaluate after the last epoch only")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    tok, enc = load(args.model)
    enc = enc.to(dev)

    texts, labels = read(args.train)
    vtexts, vlabels = read(args.valid)
    names = sorted(set(labels))
    y = torch.tensor([names.index(l) for l in labels])
    vy = torch.tensor([names.index(l) for l in vlabels])
    head = torch.nn.Linear(enc.config.hidden_size, len(names)).to(dev)

    n_layers = enc.config.num_hidden_layers
    for p in enc.parameters():
        p.requires_grad = False
    trainable_layers = []
    if args.strategy == "full":
        for p in enc.parameters():
            p.requires_grad = True
        trainable_layers = list(range(n_layers))
    elif args.strategy.startswith("last"):
        k = int(args.strategy[4:])
        trainable_layers = list(range(n_layers - k, n_layers))
        for i in trainable_layers:
            for p in enc.encoder.layer[i].parameters():
                p.requires_grad = True
    enc_params = [p for p in enc.parameters() if p.requires_grad]
    groups = [{"params": head.parameters(), "lr": 1e-3}]
    if enc_params:
        groups.append({"params": enc_params, "lr": 2e-5})
    opt = torch.optim.AdamW(groups, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)

    def batch(t):
        b = tok(t, padding=True, truncation=True, max_length=128, return_tensors="pt")
        return {k: v.to(dev) for k, v in b.items() if k in ("input_ids", "attention_mask", "token_type_ids")}

    def logits(b):
        h = enc(**b).last_hidden_state
        m = b["attention_mask"].unsqueeze(-1).float()
        return head((h * m).sum(1) / m.sum(1).clamp(min=1e-9))

    def set_train_mode():
        enc.eval()
        if args.strategy == "full":
            enc.train()
        for i in trainable_layers:
            enc.encoder.layer[i].train()
        head.train()

    report = {"strategy": args.strategy, "seed": args.seed, "threads": args.threads, "torch": torch.__version__, "epochs": []}
    order = list(range(len(texts)))
    rng = random.Random(args.seed)
    for epoch in range(args.epochs):
        set_train_mode()
        rng.shuffle(order)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for s in range(0, len(order), args.batch):
            idx = order[s:s + args.batch]
            loss = torch.nn.functional.cross_entropy(logits(batch([texts[i] for i in idx])), y[idx].to(dev))
            opt.zero_grad()
            loss.backward()
            opt.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
        if args.eval_last and epoch + 1 < args.epochs:
            report["epochs"].append({"epoch": epoch + 1, "seconds": seconds, "examples_per_sec": len(texts) / seconds})
            continue
        enc.eval()
        head.eval()
        preds = []
        with torch.no_grad():
            for s in range(0, len(vtexts), 64):
                preds.append(logits(batch(vtexts[s:s + 64])).argmax(-1).cpu())
        preds = torch.cat(preds)
        acc = (preds == vy).float().mean().item()
        f1s = []
        for c in range(len(names)):
            tp = ((preds == c) & (vy == c)).sum().item()
            p = tp / max(1, (preds == c).sum().item())
            r = tp / max(1, (vy == c).sum().item())
            f1s.append(0.0 if p + r == 0 else 2 * p * r / (p + r))
        report["epochs"].append({"epoch": epoch + 1, "seconds": seconds, "examples_per_sec": len(texts) / seconds,
                                 "accuracy": acc, "macro_f1": sum(f1s) / len(f1s)})
        print(json.dumps(report["epochs"][-1]), file=sys.stderr, flush=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
