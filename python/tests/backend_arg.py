"""The backend a test runs on: --backend=NAME (BUILD passes one per test target)."""
import sys


def backend_name(default="reference"):
    for arg in list(sys.argv[1:]):
        if arg.startswith("--backend="):
            sys.argv.remove(arg)
            return arg[len("--backend="):]
    return default
