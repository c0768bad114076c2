#!/usr/bin/env python3
"""Python-level overhead of one assignment: `fval[:] = f` for a cached op-tree
f = be.sig(be.exp(x) + y) * 2 on 10 x 10 float32 on the cpu backend, against the same
expression in PyTorch eager (torch.sigmoid(torch.exp(x) + y) * 2, each op with out=)
and in numpy (out=), measured side by side in one process, rounds alternating.

Prints the median over rounds of each time per call and
  python assign ours/torch speed: X   (torch time / our time; > 1: ours is faster)
plus the same with the tree rebuilt in Python on every call.

PyTorch comes from PyPI in a venv outside the repo; it is never a build or test dependency.
Usage:
  tools/bazel build //python:neon_python
  /work/bench-venv/bin/python tools/bench/python_assign.py [--rounds 7] [--calls 20000]
      [--neon bazel-bin/python/neon_python.runfiles/neon/python]
"""
import argparse
import os
import statistics
import sys
import time


def per_call(function, calls):
    function()  # warm: plans compiled, caches filled
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--neon", default="bazel-bin/python/neon_python.runfiles/neon/python")
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.neon))
    import numpy as np
    import torch
    from neon.backends import gen_backend

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x_host = rng.standard_normal((10, 10)).astype(np.float32)
    y_host = rng.standard_normal((10, 10)).astype(np.float32)

    be = gen_backend(backend="cpu", rng_seed=0)
    x, y, fval = be.array(x_host), be.array(y_host), be.empty((10, 10))
    f = be.sig(be.exp(x) + y) * 2

    def ours_cached():
        fval[:] = f

    def ours_rebuilt():
        fval[:] = be.sig(be.exp(x) + y) * 2

    tx, ty = torch.from_numpy(x_host.copy()), torch.from_numpy(y_host.copy())
    t_tmp, t_out = torch.empty(10, 10), torch.empty(10, 10)

    def torch_eager():
        torch.exp(tx, out=t_tmp)
        torch.add(t_tmp, ty, out=t_tmp)
        torch.sigmoid(t_tmp, out=t_tmp)
        torch.mul(t_tmp, 2, out=t_out)

    n_tmp, n_out = np.empty((10, 10), np.float32), np.empty((10, 10), np.float32)

    def numpy_eager():
        np.exp(x_host, out=n_tmp)
        np.add(n_tmp, y_host, out=n_tmp)
        np.negative(n_tmp, out=n_tmp)
        np.exp(n_tmp, out=n_tmp)
        np.add(n_tmp, 1, out=n_tmp)
        np.divide(2, n_tmp, out=n_out)

    # All three compute the same values.
    ours_cached()
    torch_eager()
    numpy_eager()
    assert np.allclose(fval.get(), t_out.numpy(), rtol=1e-5) and np.allclose(t_out.numpy(), n_out, rtol=1e-5)

    runs = {"ours_cached": ours_cached, "ours_rebuilt": ours_rebuilt, "torch": torch_eager, "numpy": numpy_eager}
    times = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, function in runs.items():
            times[name].append(per_call(function, args.calls))
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, seconds in median.items():
        spread = "%.2f - %.2f" % (min(times[name]) * 1e6, max(times[name]) * 1e6)
        print("%-13s %.2f us per call (%s)" % (name, seconds * 1e6, spread))
    print("python assign ours/numpy speed: %.2f" % (median["numpy"] / median["ours_cached"]))
    print("python assign ours/torch speed, tree rebuilt per call: %.2f" % (median["torch"] / median["ours_rebuilt"]))
    print("python assign ours/torch speed: %.2f" % (median["torch"] / median["ours_cached"]))


if __name__ == "__main__":
    main()
