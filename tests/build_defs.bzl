"""A test fanned out per backend: name_reference, name_cpu, name_opencl."""

BACKENDS = ["reference", "cpu", "opencl"]

def per_backend_test(name, backends = BACKENDS, sizes = {}, shard_counts = {}, env = {}, **kwargs):
    """One cc_test per backend; the test reads the backend spec from $NEON_TEST_BACKEND.

    sizes / shard_counts map a backend to its own size / shard count (cold cost differs:
    opencl compiles each program on first use); kwargs go to every cc_test.
    """
    for backend in backends:
        test_env = dict(env)
        test_env["NEON_TEST_BACKEND"] = backend
        native.cc_test(
            name = name + "_" + backend,
            size = sizes.get(backend, "small"),
            shard_count = shard_counts.get(backend, None),
            env = test_env,
            **kwargs
        )
    native.test_suite(name = name, tests = [":" + name + "_" + backend for backend in backends])
