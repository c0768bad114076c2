#!/usr/bin/env python3
"""Runs the cpu backend's benchmark workloads in numpy and PyTorch (whichever
is installed: `pip install numpy torch`; neither is a build or test dependency)
and prints their throughput, then ours over theirs at the same thread count.

Workloads (the same as backends/cpu/cpu_benchmark.cc):
  sigmoid   1/(1+exp(-x)) over 2^25 float32 (8192 x 4096)
  sum0      sum over axis 0 of a 4096 x 4096 float32
  sum1      sum over axis 1 of a 4096 x 4096 float32
  gemm*     float32 C = A B for m x k x n = 2048^3, 64^3, 256 x 4096 x 128

Usage:
  tools/bench/compare_numpy_torch.py [--threads N] [--reps N] [--rounds N]
      [--ours bazel-bin/backends/cpu/cpu_benchmark]
Our numbers come from running the cpu_benchmark binary (build it first with
`tools/bazel build //backends/cpu:cpu_benchmark`) with the same --threads.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

SIDE = 4096
N = 1 << 25
GEMMS = [(2048, 2048, 2048), (64, 64, 64), (256, 4096, 128)]  # m, k, n


def median_seconds(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def workloads_bytes_flops():
    """Name -> (bytes moved, flops) for throughput."""
    table = {"sigmoid": (8.0 * N, 0), "sum0": (4.0 * SIDE * SIDE, 0), "sum1": (4.0 * SIDE * SIDE, 0)}
    for m, k, n in GEMMS:
        table[f"gemm{m}x{k}x{n}"] = (0, 2.0 * m * k * n)
    return table


GROUPS = {"sigmoid": ["sigmoid"], "sum": ["sum0", "sum1"], "gemm": [f"gemm{m}x{k}x{n}" for m, k, n in GEMMS]}


def numpy_workloads():
    """Group -> {workload: callable}, or None when numpy is missing."""
    try:
        import numpy as np
    except ImportError:
        print("numpy: not installed (pip install numpy)")
        return None
    x = np.random.default_rng(0).standard_normal((N // 4096, 4096), dtype=np.float32)
    y = np.empty_like(x)
    a = np.random.default_rng(1).standard_normal((SIDE, SIDE), dtype=np.float32)

    def sigmoid():
        # numpy evaluates one op at a time (as neon's CPU backend did), in place to spare allocations.
        np.negative(x, out=y)
        np.exp(y, out=y)
        np.add(y, 1, out=y)
        np.reciprocal(y, out=y)

    table = {"sigmoid": {"sigmoid": sigmoid},
             "sum": {"sum0": lambda: a.sum(axis=0), "sum1": lambda: a.sum(axis=1)}, "gemm": {}}
    for m, k, n in GEMMS:
        ga, gb, gc = np.ones((m, k), np.float32), np.ones((k, n), np.float32), np.empty((m, n), np.float32)
        table["gemm"][f"gemm{m}x{k}x{n}"] = lambda ga=ga, gb=gb, gc=gc: np.matmul(ga, gb, out=gc)
    return table


def torch_workloads(threads):
    try:
        import torch
    except ImportError:
        print("torch: not installed (pip install torch)")
        return None
    torch.set_num_threads(threads)
    x = torch.randn(N // 4096, 4096)
    y = torch.empty_like(x)
    a = torch.randn(SIDE, SIDE)
    table = {"sigmoid": {"sigmoid": lambda: torch.sigmoid(x, out=y)},
             "sum": {"sum0": lambda: a.sum(dim=0), "sum1": lambda: a.sum(dim=1)}, "gemm": {}}
    for m, k, n in GEMMS:
        ga, gb, gc = torch.ones(m, k), torch.ones(k, n), torch.empty(m, n)
        table["gemm"][f"gemm{m}x{k}x{n}"] = lambda ga=ga, gb=gb, gc=gc: torch.mm(ga, gb, out=gc)
    return table


def time_workloads(workloads, reps):
    results = {}
    for name, fn in workloads.items():
        m, k, n = (int(v) for v in name[4:].split("x")) if name.startswith("gemm") else (0, 0, 0)
        inner = 200 if name.startswith("gemm") and m * k * n < (1 << 24) else 1
        results[name] = median_seconds(lambda: [fn() for _ in range(inner)], reps) / inner
    return results


# Lines of cpu_benchmark's output -> workload names.
OURS_PATTERNS = [
    (r"^sigmoid 1/\(1\+exp\(-x\)\) 2\^25 f32 \(8192 x 4096\)", "sigmoid"),
    (r"^sum axis 0 ", "sum0"),
    (r"^sum axis 1 ", "sum1"),
] + [(rf"^gemm m={m} n={n} k={k}\b", f"gemm{m}x{k}x{n}") for m, k, n in GEMMS]


def run_ours(binary, threads, reps, group):
    out = subprocess.run([binary, "--threads", str(threads), "--reps", str(reps), "--only", group], check=True,
                         capture_output=True, text=True).stdout
    results = {}
    for line in out.splitlines():
        for pattern, name in OURS_PATTERNS:
            match = re.match(pattern, line)
            times = re.search(r"ours\s+([0-9.]+) ms", line)
            if match and times and name not in results:
                results[name] = float(times.group(1)) / 1e3
    return results


def throughput(name, seconds):
    nbytes, flops = workloads_bytes_flops()[name]
    return f"{nbytes / seconds / 1e9:8.2f} GB/s" if nbytes else f"{flops / seconds / 1e9:8.1f} GFLOP/s"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ours", default="bazel-bin/backends/cpu/cpu_benchmark")
    args = parser.parse_args()
    # BLAS and OpenMP pools read these when numpy / torch load.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    libraries = {"numpy": numpy_workloads(), "torch": torch_workloads(args.threads)}
    libraries = {lib: table for lib, table in libraries.items() if table is not None}
    have_ours = os.path.exists(args.ours)
    if not have_ours:
        print(f"ours: {args.ours} not found (tools/bazel build //backends/cpu:cpu_benchmark)")
    # Rounds alternate the libraries and ours group by group, so load on a shared machine hits all alike.
    samples = {}
    for _ in range(args.rounds):
        for group in GROUPS:
            for lib, table in libraries.items():
                for name, t in time_workloads(table[group], args.reps).items():
                    samples.setdefault(lib, {}).setdefault(name, []).append(t)
            if have_ours:
                for name, t in run_ours(args.ours, args.threads, args.reps, group).items():
                    samples.setdefault("ours", {}).setdefault(name, []).append(t)
    columns = {lib: {name: statistics.median(ts) for name, ts in by_name.items()} for lib, by_name in samples.items()}
    print(f"\nthreads: {args.threads}, medians of {args.reps} runs x {args.rounds} alternating rounds")
    for name in workloads_bytes_flops():
        line = f"{name:18s}"
        for lib, results in columns.items():
            if name in results:
                line += f"  {lib}: {results[name] * 1e3:9.3f} ms {throughput(name, results[name])}"
        for lib in ("numpy", "torch"):
            if name in columns.get("ours", {}) and name in columns.get(lib, {}):
                line += f"  ours/{lib}: {columns[lib][name] / columns['ours'][name]:.2f}x"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
