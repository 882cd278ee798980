#!/usr/bin/env python3
"""Time whole processes: wall time and peak resident memory of each run.

    measure.py --out FILE --group NAME --n N [--runs R] [--warmup W]
               --bench LABEL 'COMMAND' [--bench LABEL 'COMMAND' …]

Every command is split into words (shell quoting rules, words with `*`
expanded as globs, `{run}` replaced by the run's number) and run directly,
not through a shell, with stdout and stderr to files beside FILE. First W
warm-up runs of each (not counted), then R rounds, each running every
command once in turn, so that drift of the machine spreads over all of them.
A run that exits non-zero stops the benchmark with its output: a fast
failure must never pass for a fast run.

Wall time is measured around the process (spawn to reap, through GNU time,
which adds well under a millisecond to every runner alike); peak memory is
the runner's maximum resident set as GNU time reports it (`%M`, KiB), or
without GNU time the child's `ru_maxrss`, which then includes this Python
process's own peak. One JSON object per command is appended
to FILE (JSON lines).
"""

import argparse
import glob
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def words(command, run):
    out = []
    for w in shlex.split(command.replace("{run}", str(run))):
        if "*" in w:
            matched = sorted(glob.glob(w))
            if not matched:
                sys.exit(f"measure: no file matches {w}")
            out.extend(matched)
        else:
            out.append(w)
    return out


# GNU time reports the child's peak memory. A child spawned straight from
# this Python process would inherit Python's own peak in its ru_maxrss (the
# kernel keeps the high-water mark across exec), so a small spawner is used.
GNU_TIME = "/usr/bin/time"


def once(argv, logdir, label):
    out_path = os.path.join(logdir, f"{label}.stdout")
    err_path = os.path.join(logdir, f"{label}.stderr")
    mem_path = os.path.join(logdir, f"{label}.maxrss")
    timed = [GNU_TIME, "-f", "%M", "-o", mem_path, *argv] if os.access(GNU_TIME, os.X_OK) else argv
    with open(out_path, "wb") as so, open(err_path, "wb") as se:
        start = time.perf_counter()
        proc = subprocess.Popen(timed, stdout=so, stderr=se, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    if code != 0:
        with open(err_path, "rb") as f:
            tail = f.read()[-3000:].decode("utf-8", "replace")
        sys.exit(f"measure: `{shlex.join(argv)}` exited {code}\n{tail}")
    peak = usage.ru_maxrss
    if timed is not argv:
        with open(mem_path) as f:
            peak = int(f.read().split()[-1])
    return {"wall_s": round(wall, 6), "peak_rss_kib": peak}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--bench", nargs=2, action="append", metavar=("LABEL", "COMMAND"), required=True)
    a = p.parse_args()
    logdir = os.path.join(os.path.dirname(os.path.abspath(a.out)), "logs")
    os.makedirs(logdir, exist_ok=True)
    runs = {label: [] for label, _ in a.bench}
    for w in range(a.warmup):
        for label, command in a.bench:
            once(words(command, f"w{w}"), logdir, label)
    for r in range(a.runs):
        for label, command in a.bench:
            m = once(words(command, r), logdir, label)
            runs[label].append(m)
            print(f"  {a.group} N={a.n} {label}: {m['wall_s']:.3f} s, {m['peak_rss_kib'] / 1024:.1f} MiB",
                  file=sys.stderr)
    with open(a.out, "a", encoding="utf-8") as f:
        for label, command in a.bench:
            rs = runs[label]
            f.write(json.dumps({
                "group": a.group,
                "n": a.n,
                "label": label,
                "command": command,
                "warmup": a.warmup,
                "runs": rs,
                "median_wall_s": round(statistics.median(x["wall_s"] for x in rs), 6),
                "median_peak_rss_kib": int(statistics.median(x["peak_rss_kib"] for x in rs)),
                "max_peak_rss_kib": max(x["peak_rss_kib"] for x in rs),
            }) + "\n")


if __name__ == "__main__":
    main()
