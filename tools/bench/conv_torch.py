#!/usr/bin/env python3
"""Convolution, max pooling and batch norm, ours against PyTorch, side by side.

The workloads are those of layers/conv_benchmark.cc, float32 on the CPU, batch 64,
64 channels of 32x32: conv 3x3 (64 -> 64, padding 1) forward + backward (input and
weight gradients); max pooling 2x2 forward + backward; batch norm (training)
forward + backward. Rounds alternate our benchmark binary and PyTorch eager at
the same thread count; prints the median over rounds of torch time / our time.

PyTorch comes from PyPI in a venv outside the repo; never a build or test dependency.

Usage:
  tools/bazel build //layers:conv_benchmark
  /path/to/venv/bin/python tools/bench/conv_torch.py [--threads 2] [--rounds 3] [--reps 5]
"""
import argparse
import os

from rounds import alternate, import_torch, median_seconds, run_ours

N, C, H, W = 64, 64, 32, 32
KEYS = {"conv": "CONV_STEP_SECONDS", "pool": "POOL_STEP_SECONDS", "bn": "BN_STEP_SECONDS"}


def torch_workloads(torch):
    x = torch.rand(N, C, H, W, requires_grad=True)
    conv = torch.nn.Conv2d(C, C, 3, padding=1, bias=False)
    pool = torch.nn.MaxPool2d(2)
    bn = torch.nn.BatchNorm2d(C)
    conv_error = torch.rand(N, C, H, W)
    pool_error = torch.rand(N, C, H // 2, W // 2)

    def run(layer, error):
        def step():
            x.grad = None
            layer.zero_grad(set_to_none=True)
            layer(x).backward(error)
        return step
    return {"conv": run(conv, conv_error), "pool": run(pool, pool_error), "bn": run(bn, conv_error)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--ours", default="bazel-bin/layers/conv_benchmark")
    args = parser.parse_args()
    torch = import_torch("conv_torch")
    torch.set_num_threads(args.threads)
    workloads = torch_workloads(torch)

    def ours():
        _, values = run_ours([args.ours, "--backend=cpu", "--threads", str(args.threads), "--reps", str(args.reps)],
                             list(KEYS.values()))
        return {name: values[key] for name, key in KEYS.items()}

    def theirs():
        return {name: median_seconds(step, args.reps) for name, step in workloads.items()}

    def show(round_index, name, our_seconds, their_seconds):
        print(f"  round {round_index} {name:5s}: ours {our_seconds * 1e3:9.3f} ms, torch {their_seconds * 1e3:9.3f} ms",
              flush=True)

    print(f"torch {torch.__version__}, {args.threads} threads, {args.rounds} rounds of {args.reps} repetitions")
    speeds = alternate(args.rounds, [(ours, theirs)], show)
    labels = {"conv": "conv", "pool": "max pooling", "bn": "batch norm"}
    for name, speed in speeds.items():
        print(f"{labels[name]} ours/torch speed: {speed:.2f}")


if __name__ == "__main__":
    main()
