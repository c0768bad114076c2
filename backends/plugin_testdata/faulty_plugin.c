/* A plugin that breaks one load rule, chosen by -DFAULT_<NAME> (backends/BUILD),
 * so plugin_test can check each one-line load error. It computes nothing. */
#include <stddef.h>

#include "backends/plugin_api.h"

static NeonError kCreateError = {sizeof(NeonError), "this device is switched off", NULL};

static NeonError* CreateDevice(const char* argument, NeonDevice** device) {
  (void)argument;
  (void)device;
  return &kCreateError; /* static, so no destroy function */
}

/* Slots that are never called: every device creation fails or loading stops first. */
static void DestroyDevice(NeonDevice* device) { (void)device; }
static NeonError* DeviceInfo(NeonDevice* device, NeonDeviceInfo* info) { (void)device; (void)info; return NULL; }
static NeonError* Allocate(NeonDevice* device, uint64_t bytes, NeonBuffer** buffer) {
  (void)device; (void)bytes; (void)buffer; return NULL;
}
static void FreeBuffer(NeonDevice* device, NeonBuffer* buffer) { (void)device; (void)buffer; }
static NeonError* CopyIn(NeonDevice* d, NeonBuffer* b, uint64_t o, const void* s, uint64_t n) {
  (void)d; (void)b; (void)o; (void)s; (void)n; return NULL;
}
static NeonError* CopyOut(NeonDevice* d, const NeonBuffer* b, uint64_t o, void* s, uint64_t n) {
  (void)d; (void)b; (void)o; (void)s; (void)n; return NULL;
}
static NeonError* RunKernel(NeonDevice* d, const NeonKernel* k, const NeonKernelArgs* a) { (void)d; (void)k; (void)a; return NULL; }
static NeonError* Gemm(NeonDevice* d, const NeonGemmArgs* a) { (void)d; (void)a; return NULL; }
static NeonError* FillRandom(NeonDevice* d, const NeonRandomArgs* a) { (void)d; (void)a; return NULL; }

static NeonBackendApi kApi = {
    sizeof(NeonBackendApi), NEON_PLUGIN_API_MAJOR, NEON_PLUGIN_API_MINOR,
    CreateDevice, DestroyDevice, DeviceInfo, Allocate, FreeBuffer, CopyIn, CopyOut, RunKernel, Gemm, FillRandom,
    NULL, NULL,
};

static const NeonBackendApi* Table(void) {
#if defined(FAULT_TABLE_MAJOR)
  kApi.api_major = 7;
#elif defined(FAULT_NULL_SLOT)
  kApi.gemm = NULL;
#elif defined(FAULT_SMALL_STRUCT)
  kApi.struct_size = 3 * sizeof(void*);
#elif defined(FAULT_NULL_TABLE)
  return NULL;
#endif
  return &kApi;
}

#if defined(FAULT_OTHER_MAJOR_SYMBOL)
/* Built against a future ABI major: only its entry symbol exists. */
NEON_PLUGIN_EXPORT const NeonBackendApi* neon_backend_get_api_v2(const NeonHostApi* host) { (void)host; return Table(); }
#elif defined(FAULT_NO_SYMBOL)
/* The entry point without NEON_PLUGIN_EXPORT: hidden by -fvisibility=hidden. */
const NeonBackendApi* neon_backend_get_api_v1(const NeonHostApi* host) { (void)host; return Table(); }
#else
NEON_PLUGIN_EXPORT const NeonBackendApi* neon_backend_get_api_v1(const NeonHostApi* host) { (void)host; return Table(); }
#endif
