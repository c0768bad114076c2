#!/usr/bin/env python3
"""One MLP training step, ours against PyTorch, measured side by side.

The step (the same as layers/mlp_benchmark.cc): an MLP 784-512-512-10 with ReLU,
softmax + cross-entropy (mean over the batch), SGD with momentum 0.9, batch 128,
float32, on the CPU. Rounds alternate: our benchmark binary (median of its
repetitions), then PyTorch eager (median of the same number of repetitions),
at the same thread count. Prints the median over rounds of torch time / our time.

PyTorch comes from PyPI in a venv outside the repo (`pip install torch`); it is
never a build or test dependency.

Usage:
  tools/bazel build //layers:mlp_benchmark
  /path/to/venv/bin/python tools/bench/mlp_torch.py [--threads 2] [--rounds 5]
      [--reps 11] [--steps 10] [--ours bazel-bin/layers/mlp_benchmark]
"""
import argparse
import os

from rounds import alternate, import_torch, median_seconds, run_ours

SIZES = [784, 512, 512, 10]
BATCH = 128


def torch_step_factory(torch):
    torch.manual_seed(1)
    layers = []
    for i in range(3):
        layers.append(torch.nn.Linear(SIZES[i], SIZES[i + 1]))
        if i < 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.rand(BATCH, SIZES[0])
    t = torch.arange(BATCH) % SIZES[3]

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), t)
        loss.backward()
        optimizer.step()
    return step


# ATen operators that only make views or allocate: not compute launches.
NO_COMPUTE = {"empty", "empty_like", "empty_strided", "as_strided", "view", "reshape", "_reshape_alias", "t",
              "transpose", "expand", "resize_", "detach", "alias", "unsqueeze", "squeeze", "select", "slice",
              "result_type", "lift_fresh", "_unsafe_view", "permute", "numpy_T"}


def torch_ops_per_step(torch, step):
    """Operators one step dispatches (forward, backward on the autograd thread, optimizer): ATen ops
    called from Python or from an autograd node, not from another ATen op, less views."""
    step()
    with torch.autograd.profiler.profile() as prof:
        step()
    count = 0
    for event in prof.function_events:
        parent = event.cpu_parent
        top_level = parent is None or not parent.name.startswith("aten::")
        if top_level and event.name.startswith("aten::") and event.name[len("aten::"):] not in NO_COMPUTE:
            count += 1
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--ours", default="bazel-bin/layers/mlp_benchmark")
    args = parser.parse_args()
    torch = import_torch("mlp_torch")
    torch.set_num_threads(args.threads)
    step = torch_step_factory(torch)
    launches = []

    def ours():
        out, values = run_ours([args.ours, "--backend=cpu", "--threads", str(args.threads), "--reps", str(args.reps),
                                "--steps", str(args.steps)], ["MLP_STEP_SECONDS"])
        launches[:] = [line.split(": ", 1)[1] for line in out.splitlines() if "launches per step" in line]
        return {"mlp step": values["MLP_STEP_SECONDS"]}

    def show(round_index, name, our_seconds, their_seconds):
        print(f"  round {round_index}: ours {our_seconds * 1e3:.3f} ms, torch {their_seconds * 1e3:.3f} ms, "
              f"torch/ours {their_seconds / our_seconds:.2f}", flush=True)

    print(f"torch {torch.__version__}, {args.threads} threads, {args.rounds} rounds of "
          f"{args.reps} x {args.steps} steps")
    speeds = alternate(args.rounds, [(ours, lambda: {"mlp step": median_seconds(step, args.reps, args.steps)})], show)
    print(f"our launches per step: {launches[0] if launches else '?'}")
    print(f"torch operators dispatched per step (top-level ATen ops, views excluded): {torch_ops_per_step(torch, step)}")
    print(f"mlp step ours/torch speed: {speeds['mlp step']:.2f}")


if __name__ == "__main__":
    main()
