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
  tools/bench/compare_numpy_torch.py [--threads N] [--reps N]
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


def run_numpy(reps):
    try:
        import numpy as np
    except ImportError:
        print("numpy: not installed (pip install numpy)")
        return {}
    x = np.random.default_rng(0).standard_normal((N // 4096, 4096), dtype=np.float32)
    y = np.empty_like(x)
    a = np.random.default_rng(1).standard_normal((SIDE, SIDE), dtype=np.float32)

    def sigmoid():
        # numpy evaluates one op at a time (as neon's CPU backend did), in place to spare allocations.
        np.negative(x, out=y)
        np.exp(y, out=y)
        np.add(y, 1, out=y)
        np.reciprocal(y, out=y)

    results = {
        "sigmoid": median_seconds(sigmoid, reps),
        "sum0": median_seconds(lambda: a.sum(axis=0), reps),
        "sum1": median_seconds(lambda: a.sum(axis=1), reps),
    }
    for m, k, n in GEMMS:
        ga = np.ones((m, k), np.float32)
        gb = np.ones((k, n), np.float32)
        gc = np.empty((m, n), np.float32)
        inner = 200 if m * k * n < (1 << 24) else 1
        t = median_seconds(lambda: [np.matmul(ga, gb, out=gc) for _ in range(inner)], reps) / inner
        results[f"gemm{m}x{k}x{n}"] = t
    return results


def run_torch(reps, threads):
    try:
        import torch
    except ImportError:
        print("torch: not installed (pip install torch)")
        return {}
    torch.set_num_threads(threads)
    x = torch.randn(N // 4096, 4096)
    y = torch.empty_like(x)
    a = torch.randn(SIDE, SIDE)
    results = {
        "sigmoid": median_seconds(lambda: torch.sigmoid(x, out=y), reps),
        "sum0": median_seconds(lambda: a.sum(dim=0), reps),
        "sum1": median_seconds(lambda: a.sum(dim=1), reps),
    }
    for m, k, n in GEMMS:
        ga, gb, gc = torch.ones(m, k), torch.ones(k, n), torch.empty(m, n)
        inner = 200 if m * k * n < (1 << 24) else 1
        t = median_seconds(lambda: [torch.mm(ga, gb, out=gc) for _ in range(inner)], reps) / inner
        results[f"gemm{m}x{k}x{n}"] = t
    return results


# Lines of cpu_benchmark's output -> workload names.
OURS_PATTERNS = [
    (r"^sigmoid 1/\(1\+exp\(-x\)\) 2\^25 f32 \(8192 x 4096\)", "sigmoid"),
    (r"^sum axis 0 ", "sum0"),
    (r"^sum axis 1 ", "sum1"),
] + [(rf"^gemm m={m} n={n} k={k}\b", f"gemm{m}x{k}x{n}") for m, k, n in GEMMS]


def run_ours(binary, threads, reps):
    if not os.path.exists(binary):
        print(f"ours: {binary} not found (tools/bazel build //backends/cpu:cpu_benchmark)")
        return {}
    out = subprocess.run([binary, "--threads", str(threads), "--reps", str(reps)], check=True,
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
    parser.add_argument("--ours", default="bazel-bin/backends/cpu/cpu_benchmark")
    args = parser.parse_args()
    # BLAS and OpenMP pools read these when numpy / torch load.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    columns = {"numpy": run_numpy(args.reps), "torch": run_torch(args.reps, args.threads),
               "ours": run_ours(args.ours, args.threads, args.reps)}
    print(f"\nthreads: {args.threads}, medians of {args.reps} runs")
    for name in workloads_bytes_flops():
        line = f"{name:18s}"
        for lib, results in columns.items():
            if name in results:
                line += f"  {lib}: {results[name] * 1e3:9.3f} ms {throughput(name, results[name])}"
        for lib in ("numpy", "torch"):
            if name in columns["ours"] and name in columns[lib]:
                line += f"  ours/{lib}: {columns[lib][name] / columns['ours'][name]:.2f}x"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
