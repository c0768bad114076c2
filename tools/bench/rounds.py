"""The round loop the tools/bench/*_torch.py scripts share: our benchmark binary and
PyTorch alternate round by round at the same thread count, so a shared, noisy machine
slows both sides alike, and each figure is the median over rounds of torch time / our
time (higher is faster for us).
"""
import re
import statistics
import subprocess
import sys
import time


def import_torch(script):
    """PyTorch from a venv outside the repo, or exit with one line saying how to get it."""
    try:
        import torch
    except ImportError:
        sys.exit(f"{script}: PyTorch is not installed here (pip install torch in a venv outside the repo)")
    return torch


def median_seconds(fn, reps, calls=1):
    """Median over `reps` of the time of one call of fn, each rep timing `calls` calls (after one warm-up)."""
    fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def run_ours(command, keys):
    """Runs our benchmark binary; returns its whole output and the value printed after each `KEY `."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{command[0]} exited with {result.returncode}: {result.stderr.strip()}")
    out = result.stdout
    values = {}
    for key in keys:
        match = re.search(re.escape(key) + r" ([0-9.eE+-]+)", out)
        if match is None:
            sys.exit(f"{command[0]} printed no {key}:\n{out}")
        values[key] = float(match.group(1))
    return out, values


def alternate(rounds, pairs, show):
    """pairs: a list of (ours, theirs), each a function of no arguments returning {workload: seconds
    per unit of work}. Every round runs each pair, ours then theirs; show(round, workload, ours,
    theirs) prints each result. Returns {workload: median over rounds of theirs / ours}."""
    ratios = {}
    for round_index in range(rounds):
        for ours, theirs in pairs:
            our_seconds = ours()
            their_seconds = theirs()
            for workload, seconds in our_seconds.items():
                ratios.setdefault(workload, []).append(their_seconds[workload] / seconds)
                show(round_index + 1, workload, seconds, their_seconds[workload])
    return {workload: statistics.median(values) for workload, values in ratios.items()}
