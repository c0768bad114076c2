/* The C ABI of backends built outside this tree: the whole contract between
 * the runtime and a plugin shared library. C99, no C++ types, so a plugin may
 * be built by any compiler against this one file (docs/porting.md).
 *
 * Versioning: the major version is in the entry symbol's name; within a major
 * version every struct passed by pointer only grows at its end and starts with
 * its size (struct_size), so each side can tell which fields the other one
 * knows (NeonInstr, NeonTensorRef and NeonMatrixRef, array elements, are frozen).
 * The runtime checks the sizes and the minor version at load and fills absent
 * optional slots with its own defaults.
 *
 * Errors: every call that can fail returns NULL on success or an error object
 * the plugin owns; the runtime reads its message and calls its destroy. Nothing
 * is thrown across this boundary.
 *
 * The runtime validates every call (sizes, strides, view bounds, dtypes,
 * buffer ownership, the kernel program) before the plugin sees it. */
#ifndef NEON_BACKENDS_PLUGIN_API_H_
#define NEON_BACKENDS_PLUGIN_API_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NEON_PLUGIN_API_MAJOR 1
#define NEON_PLUGIN_API_MINOR 0
/* The one symbol a plugin exports; its name carries the major version. */
#define NEON_PLUGIN_ENTRY_NAME "neon_backend_get_api_v1"

/* Marks the entry point visible in a library built with -fvisibility=hidden. */
#if defined(__GNUC__)
#define NEON_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define NEON_PLUGIN_EXPORT
#endif

/* ---- plain data ---- */

typedef enum NeonDType { NEON_FLOAT32 = 0, NEON_FLOAT64 = 1, NEON_INT32 = 2 } NeonDType;

/* Op codes of fused-kernel instructions (docs/ops.md gives each meaning). New ops
 * are appended; a code never changes meaning within a major version. */
#define NEON_PLUGIN_OP_LIST(V)                                                       \
  V(TENSOR, 0, "tensor") V(SCALAR, 1, "scalar") V(RAND, 2, "rand")                  \
  V(ONEHOT, 3, "onehot") V(FINITE, 4, "finite") V(NEG, 5, "neg") V(ABS, 6, "abs")   \
  V(SGN, 7, "sgn") V(SQRT, 8, "sqrt") V(SQR, 9, "sqr") V(EXP, 10, "exp")            \
  V(LOG, 11, "log") V(EXP2, 12, "exp2") V(LOG2, 13, "log2") V(SIG, 14, "sig")       \
  V(SIG2, 15, "sig2") V(TANH, 16, "tanh") V(TANH2, 17, "tanh2")                     \
  V(SAFELOG, 18, "safelog") V(RINT, 19, "rint") V(BINARIZE, 20, "binarize")         \
  V(TRANSPOSE, 21, "transpose") V(ADD, 22, "add") V(SUB, 23, "sub")                 \
  V(MUL, 24, "mul") V(DIV, 25, "div") V(EQ, 26, "eq") V(NE, 27, "ne")               \
  V(LT, 28, "lt") V(LE, 29, "le") V(GT, 30, "gt") V(GE, 31, "ge")                   \
  V(POW, 32, "pow") V(MINIMUM, 33, "minimum") V(MAXIMUM, 34, "maximum")             \
  V(SHIFT, 35, "shift") V(DOT, 36, "dot") V(SUM, 37, "sum") V(MAX, 38, "max")       \
  V(MIN, 39, "min") V(ARGMAX, 40, "argmax") V(ARGMIN, 41, "argmin")                 \
  V(ROW_INDEX, 42, "row_index") V(COL_INDEX, 43, "col_index")                       \
  V(REDUCED, 44, "reduced")

typedef enum NeonOp {
#define NEON_PLUGIN_OP_ENUM(name, code, text) NEON_OP_##name = code,
  NEON_PLUGIN_OP_LIST(NEON_PLUGIN_OP_ENUM)
#undef NEON_PLUGIN_OP_ENUM
  NEON_OP_COUNT_V1 = 45
} NeonOp;

/* Capability bits of NeonDeviceInfo.capabilities. */
#define NEON_CAP_FLOAT64 ((uint64_t)1) /* float64 buffers, kernels and GEMMs */

/* Opaque objects the plugin defines. */
typedef struct NeonDevice NeonDevice;
typedef struct NeonBuffer NeonBuffer;

/* A failure, owned by the plugin: the runtime copies `message`, then calls destroy(error). */
typedef struct NeonError {
  size_t struct_size;
  const char* message;
  void (*destroy)(struct NeonError* error);
} NeonError;

/* Filled by the plugin's device_info; the runtime zeroes it and sets struct_size first.
 * Strings stay valid until the device is destroyed. */
typedef struct NeonDeviceInfo {
  size_t struct_size;
  const char* name;          /* short, e.g. "example" (shown as plugin:NAME) */
  const char* description;   /* vendor and device, human-readable */
  const char* device_type;   /* "cpu", "gpu" or "accelerator" */
  uint64_t memory_bytes;
  int32_t compute_units;
  uint64_t capabilities;     /* NEON_CAP_* bits */
} NeonDeviceInfo;

/* One SSA instruction; its result is the register with its own index. */
typedef struct NeonInstr {
  int32_t op;    /* NeonOp */
  int32_t a;     /* first operand register, or -1 */
  int32_t b;     /* second operand register, or -1 */
  int32_t slot;  /* TENSOR: input slot; SCALAR: param slot; RAND: first of three param slots */
} NeonInstr;

/* A fused kernel: see docs/porting.md, "The fused-kernel program". */
typedef struct NeonKernel {
  size_t struct_size;
  const char* key;               /* equal keys = the same program: cache compiled code by it */
  int32_t num_inputs;
  const int32_t* input_dtypes;   /* NeonDType per input slot */
  int32_t num_params;
  int32_t compute_dtype;         /* NeonDType: FLOAT32 only when every operand and the output are */
  int32_t output_dtype;
  int32_t body_size;
  const NeonInstr* body;         /* evaluated at each (i, j); the value is the last register */
  int32_t has_reduction;
  int32_t reduce_op;             /* SUM MAX MIN ARGMAX ARGMIN */
  int32_t reduce_axis;           /* 0, 1, or -1 for every element */
  int32_t epilogue_size;
  const NeonInstr* epilogue;     /* at each output position; REDUCED reads the reduction */
} NeonKernel;

/* A strided 2-D view of a buffer, in elements; a stride of 0 broadcasts. */
typedef struct NeonTensorRef {
  NeonBuffer* buffer;            /* NULL for an input the program never reads */
  int64_t offset;
  int64_t row_stride;
  int64_t col_stride;
  int32_t dtype;                 /* NeonDType */
} NeonTensorRef;

typedef struct NeonKernelArgs {
  size_t struct_size;
  int64_t rows;
  int64_t cols;                  /* the iteration space */
  int32_t num_inputs;
  const NeonTensorRef* inputs;
  NeonTensorRef output;          /* (rows, cols), or the reduced shape */
  int32_t num_params;
  const double* params;
} NeonKernelArgs;

/* Row-major matrix operand of a GEMM. */
typedef struct NeonMatrixRef {
  NeonBuffer* buffer;
  int64_t offset;                /* elements */
  int64_t ld;                    /* elements between stored rows */
  int32_t trans;                 /* use the stored matrix transposed (never for C) */
  int64_t batch_stride;          /* elements between the matrices of a batch */
} NeonMatrixRef;

/* C = alpha op(A) op(B) + beta C; op(A) is m x k, op(B) k x n. beta == 0: C is never read. */
typedef struct NeonGemmArgs {
  size_t struct_size;
  int32_t dtype;                 /* FLOAT32 or FLOAT64, for A, B and C */
  int64_t m, n, k, batch;
  double alpha, beta;
  NeonMatrixRef a, b, c;
} NeonGemmArgs;

typedef enum NeonDistribution {
  NEON_UNIFORM = 0,    /* a + (b - a) u, u the 24-bit uniform of the position */
  NEON_NORMAL = 1,     /* a + b * Box-Muller normal of the position, float64 */
  NEON_BERNOULLI = 2   /* 1 when u < a, else 0 */
} NeonDistribution;

/* Fill dst (rows x cols) from the Philox4x32-10 stream of seed: element (i, j)
 * takes stream position counter_offset + i * cols + j. */
typedef struct NeonRandomArgs {
  size_t struct_size;
  NeonTensorRef dst;
  int64_t rows, cols;
  int32_t distribution;          /* NeonDistribution */
  double a, b;
  uint64_t seed;
  uint64_t counter_offset;
} NeonRandomArgs;

/* ---- what the runtime offers the plugin ---- */

#define NEON_LOG_INFO 0
#define NEON_LOG_WARNING 1
#define NEON_LOG_ERROR 2

typedef struct NeonHostApi {
  size_t struct_size;
  uint32_t api_major;
  uint32_t api_minor;
  /* One line to the runtime's log (stderr), prefixed "neon plugin: ". */
  void (*log)(int level, const char* message);
} NeonHostApi;

/* ---- what the plugin offers the runtime ---- */

typedef struct NeonBackendApi {
  size_t struct_size;
  uint32_t api_major;            /* must be NEON_PLUGIN_API_MAJOR */
  uint32_t api_minor;            /* the minor version the plugin was built against */

  /* -- required -- */
  /* A new device for the text after the library path (--backend=plugin:lib.so:ARGUMENT; "" if none). */
  NeonError* (*create_device)(const char* argument, NeonDevice** device);
  /* Frees the device; every buffer has been freed before. */
  void (*destroy_device)(NeonDevice* device);
  NeonError* (*device_info)(NeonDevice* device, NeonDeviceInfo* info);
  /* A buffer of `bytes` bytes (contents unspecified; bytes may be 0). */
  NeonError* (*allocate)(NeonDevice* device, uint64_t bytes, NeonBuffer** buffer);
  void (*free_buffer)(NeonDevice* device, NeonBuffer* buffer);
  /* Host -> device, bytes at byte offset of dst. */
  NeonError* (*copy_in)(NeonDevice* device, NeonBuffer* dst, uint64_t offset, const void* src, uint64_t bytes);
  /* Device -> host; waits for queued work. */
  NeonError* (*copy_out)(NeonDevice* device, const NeonBuffer* src, uint64_t offset, void* dst, uint64_t bytes);
  /* One fused kernel (elementwise body, optional reduction and epilogue). */
  NeonError* (*run_kernel)(NeonDevice* device, const NeonKernel* kernel, const NeonKernelArgs* args);
  NeonError* (*gemm)(NeonDevice* device, const NeonGemmArgs* args);
  NeonError* (*fill_random)(NeonDevice* device, const NeonRandomArgs* args);

  /* -- optional: NULL takes the runtime's default -- */
  /* Device -> device; ranges may overlap in one buffer. Default: through host memory. */
  NeonError* (*copy)(NeonDevice* device, const NeonBuffer* src, uint64_t src_offset, NeonBuffer* dst,
                     uint64_t dst_offset, uint64_t bytes);
  /* Wait for queued work. Default: nothing (a device whose calls finish before they return). */
  NeonError* (*synchronize)(NeonDevice* device);
} NeonBackendApi;

/* The entry point. Returns the plugin's table (static storage), or NULL when it
 * cannot serve this host (it should log why through host->log). A plugin defines
 *   NEON_PLUGIN_EXPORT const NeonBackendApi* neon_backend_get_api_v1(const NeonHostApi* host); */
typedef const NeonBackendApi* (*NeonGetBackendApiFunction)(const NeonHostApi* host);

#ifdef __cplusplus
}
#endif

#endif /* NEON_BACKENDS_PLUGIN_API_H_ */
