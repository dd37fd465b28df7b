#!/usr/bin/env python3
"""The few-shot benchmark (`./scripts/bench fewshot`): for each k and sampling seed, k examples a
class drawn from sentence-level SST-2's train.csv (scripts/fewshot_reference.py sample), then on
that same sample: webtune `--mode fewshot`, webtune's `head` (classify mode), and the Python
`setfit` package with its defaults — each scored on dev.csv. Prints mean ± standard deviation
over the seeds and writes every run to OUT/fewshot.json.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def webtune(bin_, model, train, dev, out, extra):
    started = time.time()
    p = subprocess.run([bin_, "train", "--model", model, "--data", train, "--out", out, "--quiet"] + extra,
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"webtune train failed:\n{p.stderr}")
    seconds = time.time() - started
    m = json.loads(run([bin_, "eval", "--model", out, "--data", dev]).stdout)
    return {"accuracy": m["accuracy"], "macro_f1": m["macro_f1"], "train_seconds": seconds}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--webtune", required=True)
    ap.add_argument("--python", help="the reference's Python (setfit); omit for webtune only")
    ap.add_argument("--model", default="www/models/all-MiniLM-L6-v2")
    ap.add_argument("--data", default="../shared/data/sst2-sentences")
    ap.add_argument("--ks", default="8 64")
    ap.add_argument("--seeds", default="0 1 2 3 4")
    ap.add_argument("--methods", default="fewshot head setfit")
    ap.add_argument("--out", default="target/bench/fewshot")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    ref = os.path.join(HERE, "fewshot_reference.py")
    sampler = args.python or sys.executable
    train, dev = os.path.join(args.data, "train.csv"), os.path.join(args.data, "dev.csv")
    methods = args.methods.split()
    if not args.python:
        methods = [m for m in methods if m != "setfit"]
    rows = []
    for k in map(int, args.ks.split()):
        for seed in map(int, args.seeds.split()):
            sample = os.path.join(args.out, f"k{k}-s{seed}.csv")
            run([sampler, ref, "sample", "--train", train, "--k", str(k), "--seed", str(seed), "--out", sample])
            for method in methods:
                out = os.path.join(args.out, f"{method}-k{k}-s{seed}")
                if method == "setfit":
                    r = json.loads(run([args.python, ref, "setfit", "--model", args.model, "--train", sample,
                                        "--dev", dev, "--seed", str(seed)]).stdout.strip().splitlines()[-1])
                elif method == "fewshot":
                    r = webtune(args.webtune, args.model, sample, dev, out,
                                ["--mode", "fewshot", "--seed", str(seed)])
                else:
                    r = webtune(args.webtune, args.model, sample, dev, out,
                                ["--strategy", method, "--seed", str(seed)])
                r.update(method=method, k=k, seed=seed)
                print(f"k={k:3d} seed={seed} {method:8s} accuracy {100 * r['accuracy']:.2f}% "
                      f"macro-F1 {r['macro_f1']:.4f} ({r['train_seconds']:.1f} s)", flush=True)
                rows.append(r)
    json.dump(rows, open(os.path.join(args.out, "fewshot.json"), "w"), indent=2)
    print(f"\n{'k':>3s} {'method':8s} {'accuracy mean ± sd':>20s} {'seconds':>8s}  per seed")
    for k in map(int, args.ks.split()):
        for method in methods:
            rs = [r for r in rows if r["k"] == k and r["method"] == method]
            acc = [100 * r["accuracy"] for r in rs]
            sd = statistics.stdev(acc) if len(acc) > 1 else 0.0
            secs = statistics.mean(r["train_seconds"] for r in rs)
            print(f"{k:3d} {method:8s} {statistics.mean(acc):12.2f} ± {sd:5.2f} {secs:8.1f}  "
                  + " ".join(f"{a:.1f}" for a in acc))
    print(f"wrote {os.path.join(args.out, 'fewshot.json')}")


if __name__ == "__main__":
    main()
