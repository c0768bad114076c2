/* The example plugin as a plugin built before the optional slots existed: its table
 * ends after the required slots (struct_size says so), so the runtime's defaults
 * for copy and synchronize must serve it. */
#include <stddef.h>

#define neon_backend_get_api_v1 example_backend_get_api_v1 /* the example's entry, renamed */
#include "examples/plugin_backend/example_backend.c"
#undef neon_backend_get_api_v1

/* Sits past struct_size: a runtime that called it would abort the test. */
static NeonError* CopyPastTheTable(NeonDevice* device, const NeonBuffer* src, uint64_t src_offset, NeonBuffer* dst,
                                   uint64_t dst_offset, uint64_t bytes) {
  (void)device; (void)src; (void)src_offset; (void)dst; (void)dst_offset; (void)bytes;
  abort();
}

NEON_PLUGIN_EXPORT const NeonBackendApi* neon_backend_get_api_v1(const NeonHostApi* host) {
  static NeonBackendApi api;
  api = *example_backend_get_api_v1(host);
  api.struct_size = offsetof(NeonBackendApi, copy);
  api.copy = CopyPastTheTable;
  return &api;
}
