/* The example plugin with one deliberate crash: any argmax kernel kills the process with
 * SIGSEGV, so tools/check_test.sh can check that `neon check` names the case and goes on. */
#include <signal.h>

#define neon_backend_get_api_v1 example_backend_get_api_v1 /* the example's entry, renamed */
#include "examples/plugin_backend/example_backend.c"
#undef neon_backend_get_api_v1

static NeonError* CrashOnArgmax(NeonDevice* device, const NeonKernel* kernel, const NeonKernelArgs* args) {
  if (kernel->has_reduction && kernel->reduce_op == NEON_OP_ARGMAX) raise(SIGSEGV);
  return RunKernel(device, kernel, args);
}

NEON_PLUGIN_EXPORT const NeonBackendApi* neon_backend_get_api_v1(const NeonHostApi* host) {
  static NeonBackendApi api;
  api = *example_backend_get_api_v1(host);
  api.run_kernel = CrashOnArgmax;
  return &api;
}
