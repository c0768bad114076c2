#!/usr/bin/env python3
"""Training throughput of the zoo's mlp and convnet, ours against PyTorch, side by side.

Ours is //tools/bench:train_benchmark (the models as `neon train` trains them). PyTorch
trains the same architecture (layers/model_zoo.cc: bias-free Linear / Conv followed by
batch norm, whose beta is the bias; ReLU; max pooling; dropout; a Linear + bias output),
with the same initialisers (Kaiming normal, Glorot uniform), batch norm eps 1e-3 and
running-average momentum 0.1 (our rho 0.9), batch 128, Adam(lr 0.001), softmax +
cross-entropy, in training mode, float32, on the CPU. Both sides train on synthetic
Fashion-MNIST-shaped data held in host memory, shuffled each epoch, each minibatch
gathered (copied) from it; one repetition is one epoch of --batches minibatches.

Rounds alternate (ours then PyTorch, model by model) at the same thread count
(our --threads, torch.set_num_threads); prints the median over rounds of our images/s
over PyTorch's. PyTorch comes from PyPI in a venv outside the repo; never a build or
test dependency. Both sides use OpenMP (libgomp): OMP_WAIT_POLICY, set before this
script starts, reaches both.

Usage:
  tools/bazel build //tools/bench:train_benchmark
  /path/to/venv/bin/python tools/bench/train_torch.py [--threads 2] [--rounds 3] [--reps 5]
      [--batches 20] [--models mlp,convnet] [--ours bazel-bin/tools/bench/train_benchmark]
"""
import argparse
import os

from rounds import alternate, import_torch, median_seconds, run_ours

BATCH = 128
CLASSES = 10


def torch_model(torch, name):
    nn = torch.nn

    def hidden(nout, nin, keep):
        linear = nn.Linear(nin, nout, bias=False)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        layers = [linear, nn.BatchNorm1d(nout, eps=1e-3, momentum=0.1), nn.ReLU()]
        return layers + ([nn.Dropout(1.0 - keep)] if keep < 1.0 else [])

    def conv_block(nin, filters):
        conv = nn.Conv2d(nin, filters, 5, padding=2, bias=False)
        nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
        return [conv, nn.BatchNorm2d(filters, eps=1e-3, momentum=0.1), nn.ReLU(), nn.MaxPool2d(2)]

    if name == "mlp":
        layers = [nn.Flatten()] + hidden(512, 784, 0.8) + hidden(256, 512, 0.8)
        last = 256
    else:
        layers = conv_block(1, 16) + conv_block(16, 32) + [nn.Flatten()] + hidden(128, 32 * 7 * 7, 0.5)
        last = 128
    classifier = nn.Linear(last, CLASSES)
    nn.init.xavier_uniform_(classifier.weight)
    nn.init.zeros_(classifier.bias)
    return nn.Sequential(*layers, classifier).train()


def torch_epoch_factory(torch, name, batches):
    """One epoch of training in PyTorch: returns a function of no arguments."""
    torch.manual_seed(1)
    model = torch_model(torch, name)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = torch.nn.CrossEntropyLoss()
    images = torch.rand(batches * BATCH, 1, 28, 28)
    labels = torch.randint(0, CLASSES, (batches * BATCH,))

    def epoch():
        order = torch.randperm(images.shape[0])
        for start in range(0, images.shape[0], BATCH):
            index = order[start:start + BATCH]
            x, t = images[index], labels[index]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(x), t).backward()
            optimizer.step()
    return epoch


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--models", default="mlp,convnet")
    parser.add_argument("--ours", default="bazel-bin/tools/bench/train_benchmark")
    args = parser.parse_args()
    torch = import_torch("train_torch")
    torch.set_num_threads(args.threads)
    images = args.batches * BATCH
    launches = {}

    def ours(name):
        def run():
            out, values = run_ours([args.ours, "--backend=cpu", "--model", name, "--threads", str(args.threads),
                                    "--reps", str(args.reps), "--batches", str(args.batches)],
                                   ["TRAIN_IMAGES_PER_SECOND"])
            launches[name] = next(line.strip() for line in out.splitlines() if "launches" in line)
            return {name: 1.0 / values["TRAIN_IMAGES_PER_SECOND"]}
        return run

    def theirs(name):
        epoch = torch_epoch_factory(torch, name, args.batches)
        return lambda: {name: median_seconds(epoch, args.reps) / images}

    def show(round_index, name, our_seconds, their_seconds):
        print(f"  round {round_index} {name:7s}: ours {1.0 / our_seconds:8.1f} images/s, "
              f"torch {1.0 / their_seconds:8.1f} images/s, ours/torch {their_seconds / our_seconds:.2f}", flush=True)

    names = args.models.split(",")
    print(f"torch {torch.__version__}, {args.threads} threads, {args.rounds} rounds of {args.reps} epochs of "
          f"{args.batches} minibatches of {BATCH}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}")
    speeds = alternate(args.rounds, [(ours(name), theirs(name)) for name in names], show)
    for name in names:
        print(f"our {name} {launches[name]}")
    for name in names:
        print(f"train {name} ours/torch speed: {speeds[name]:.2f}")


if __name__ == "__main__":
    main()
