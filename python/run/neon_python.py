"""Runs a Python script with the neon package from this tree on the path.

    tools/bazel run //python:neon_python -- script.py [args...]
"""
import os
import runpy
import sys


def main():
    if len(sys.argv) < 2:
        print("usage: tools/bazel run //python:neon_python -- script.py [args...]", file=sys.stderr)
        return 2
    # bazel run starts in the runfiles tree; the script is named from where the user stood.
    script = os.path.join(os.environ.get("BUILD_WORKING_DIRECTORY", ""), sys.argv[1])
    if not os.path.isfile(script):
        print("neon_python: no such script: %s" % script, file=sys.stderr)
        return 2
    sys.argv = [script] + sys.argv[2:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
