#!/usr/bin/env python3
"""Cargo's output with a progress line a person can follow in a log: `cargo build ... 2>&1 |
build_progress.py LABEL COLD_MINUTES`.

Cargo draws its `Building [===>  ] 231/452` bar only on a terminal, and redraws it in place; run
with CARGO_TERM_PROGRESS_WHEN=always it writes the bar into the pipe too, separated by carriage
returns. This passes every other line through (compiler messages, warnings, errors) and turns the
bar into a line every 30 seconds (and at the end), also while one large crate compiles for
minutes and cargo draws nothing: the step, how many of its crates are built, the minutes so far
and what a cold build of the step takes on a 2-core machine.
"""
import os
import re
import select
import sys
import time

BAR = re.compile(rb"Building \[[^\]]*\]\s+(\d+)/(\d+)")
EVERY_S = 30


def main():
    label = sys.argv[1]
    cold = sys.argv[2] if len(sys.argv) > 2 else ""
    start = time.monotonic()
    last_print = start
    done = total = None
    out = sys.stderr.buffer

    def report():
        t = int(time.monotonic() - start)
        cold_part = f"; a cold build of this step takes about {cold} min on 2 cores" if cold else ""
        line = f"    {label}: {done} of {total} crates built, {t // 60}:{t % 60:02d} so far{cold_part}\n"
        out.write(line.encode())
        out.flush()

    pending = b""
    fd = sys.stdin.fileno()
    while True:
        ready, _, _ = select.select([fd], [], [], 5)
        chunk = os.read(fd, 65536) if ready else None
        if chunk == b"":
            break
        pending += chunk or b""
        parts = re.split(rb"[\r\n]", pending)
        pending = parts.pop()
        for part in parts:
            m = BAR.search(part)
            if m:
                done, total = int(m.group(1)), int(m.group(2))
            elif part.strip():
                out.write(part + b"\n")
                out.flush()
        if done is not None and time.monotonic() - last_print >= EVERY_S:
            report()
            last_print = time.monotonic()
    if pending.strip() and not BAR.search(pending):
        out.write(pending + b"\n")
    if done is not None and time.monotonic() - start >= EVERY_S:
        report()


if __name__ == "__main__":
    main()
