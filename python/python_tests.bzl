"""py_backend_test: one py_test per backend (name_reference, name_cpu, name_opencl)."""

BACKENDS = ["reference", "cpu", "opencl"]

def py_backend_test(name, src, backends = BACKENDS, size = "small", deps = [], data = [], args = []):
    for backend in backends:
        native.py_test(
            name = name + "_" + backend,
            srcs = [src],
            main = src,
            args = ["--backend=" + backend] + args,
            # OpenCL compiles its kernels on first use: a cold cache needs the time.
            size = "medium" if backend == "opencl" else size,
            deps = ["//python:neon", "//python:test_support"] + deps,
            data = data,
            python_version = "PY3",
            # The workspace is named neon too: no __init__.py may make its runfiles folder a package.
            legacy_create_init = False,
            # Debian's python3 is not built with the sanitizers (.bazelrc): no sanitizer configs.
            tags = ["no-sanitizer"],
        )
