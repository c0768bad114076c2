"""Writes a tiny MNIST-format dataset for the command-line tests: 10 classes of
28 x 28 images, class c lights rows 2c and 2c+1, plus noise; gzip IDX files.

usage: tiny_mnist.py DIR TRAIN_COUNT TEST_COUNT
"""
import gzip
import random
import struct
import sys


def write_split(out, prefix, count, rng):
    labels = [i % 10 for i in range(count)]
    pixels = bytearray()
    for label in labels:
        for row in range(28):
            for _ in range(28):
                pixels.append(min(255, rng.randrange(120) + (120 if row // 2 == label else 0)))
    with gzip.open(f"{out}/{prefix}-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, count, 28, 28) + bytes(pixels))
    with gzip.open(f"{out}/{prefix}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 0x801, count) + bytes(labels))


def main():
    out, train_count, test_count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(4)
    write_split(out, "train", train_count, rng)
    write_split(out, "t10k", test_count, rng)


if __name__ == "__main__":
    main()
