/* An example backend built outside the runtime: a host-memory device that
 * speaks the C ABI of backends/plugin_api.h and nothing else. Start a port
 * from this file (docs/porting.md). Build it with
 *   cc -std=c99 -O2 -fPIC -shared -fvisibility=hidden -ffp-contract=off -I. \
 *      examples/plugin_backend/example_backend.c -lm -o libneon_example_backend.so
 * and select it with --backend=plugin:./libneon_example_backend.so
 * (argument ":no-float64" declares a device without float64). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/plugin_api.h"

/* ---- errors: plugin-owned objects the runtime destroys ---- */

typedef struct ExampleError {
  NeonError base;
  char text[512];
} ExampleError;

static void DestroyError(NeonError* error) { free(error); }

static NeonError* Fail(const char* format, ...) {
  ExampleError* error = (ExampleError*)calloc(1, sizeof(ExampleError));
  if (error == NULL) return NULL; /* out of memory: nothing better to report */
  va_list args;
  va_start(args, format);
  vsnprintf(error->text, sizeof(error->text), format, args);
  va_end(args);
  error->base.struct_size = sizeof(NeonError);
  error->base.message = error->text;
  error->base.destroy = DestroyError;
  return &error->base;
}

/* ---- device and buffers ---- */

struct NeonDevice {
  int has_float64;
};

struct NeonBuffer {
  unsigned char* data;
};

static NeonError* CreateDevice(const char* argument, NeonDevice** device) {
  int has_float64 = 1;
  if (strcmp(argument, "no-float64") == 0) {
    has_float64 = 0;
  } else if (argument[0] != '\0') {
    return Fail("unknown argument '%s' (expected none or 'no-float64')", argument);
  }
  *device = (NeonDevice*)calloc(1, sizeof(NeonDevice));
  if (*device == NULL) return Fail("out of memory creating the device");
  (*device)->has_float64 = has_float64;
  return NULL;
}

static void DestroyDevice(NeonDevice* device) { free(device); }

static NeonError* DeviceInfo(NeonDevice* device, NeonDeviceInfo* info) {
  info->name = "example";
  info->description = device->has_float64 ? "example host-memory plugin"
                                          : "example host-memory plugin without float64";
  info->device_type = "cpu";
  info->memory_bytes = (uint64_t)1 << 30;
  info->compute_units = 1;
  info->capabilities = device->has_float64 ? NEON_CAP_FLOAT64 : 0;
  return NULL;
}

static NeonError* Allocate(NeonDevice* device, uint64_t bytes, NeonBuffer** buffer) {
  (void)device;
  NeonBuffer* made = (NeonBuffer*)calloc(1, sizeof(NeonBuffer));
  if (made == NULL || (made->data = (unsigned char*)malloc(bytes > 0 ? bytes : 1)) == NULL) {
    free(made);
    return Fail("out of memory allocating %llu bytes", (unsigned long long)bytes);
  }
  *buffer = made;
  return NULL;
}

static void FreeBuffer(NeonDevice* device, NeonBuffer* buffer) {
  (void)device;
  if (buffer != NULL) free(buffer->data);
  free(buffer);
}

/* The runtime has checked every range before these calls. */
static NeonError* CopyIn(NeonDevice* device, NeonBuffer* dst, uint64_t offset, const void* src, uint64_t bytes) {
  (void)device;
  memcpy(dst->data + offset, src, bytes);
  return NULL;
}

static NeonError* CopyOut(NeonDevice* device, const NeonBuffer* src, uint64_t offset, void* dst, uint64_t bytes) {
  (void)device;
  memcpy(dst, src->data + offset, bytes);
  return NULL;
}

static NeonError* Copy(NeonDevice* device, const NeonBuffer* src, uint64_t src_offset, NeonBuffer* dst,
                       uint64_t dst_offset, uint64_t bytes) {
  (void)device;
  memmove(dst->data + dst_offset, src->data + src_offset, bytes); /* ranges may overlap */
  return NULL;
}

/* ---- elements: loaded as double, stored converted ---- */

static double Load(const NeonTensorRef* ref, int64_t i, int64_t j) {
  const int64_t index = ref->offset + i * ref->row_stride + j * ref->col_stride;
  switch (ref->dtype) {
    case NEON_FLOAT32: return ((const float*)ref->buffer->data)[index];
    case NEON_FLOAT64: return ((const double*)ref->buffer->data)[index];
    default: return ((const int32_t*)ref->buffer->data)[index];
  }
}

/* int32 stores round toward zero, saturate, and take NaN to 0. */
static int32_t ToInt32(double x) {
  if (isnan(x)) return 0;
  if (x >= 2147483647.0) return 2147483647;
  if (x <= -2147483648.0) return (int32_t)(-2147483647 - 1);
  return (int32_t)x;
}

static void Store(const NeonTensorRef* ref, int64_t i, int64_t j, double value) {
  const int64_t index = ref->offset + i * ref->row_stride + j * ref->col_stride;
  switch (ref->dtype) {
    case NEON_FLOAT32: ((float*)ref->buffer->data)[index] = (float)value; break;
    case NEON_FLOAT64: ((double*)ref->buffer->data)[index] = value; break;
    default: ((int32_t*)ref->buffer->data)[index] = ToInt32(value); break;
  }
}

/* ---- Philox4x32-10: position p is word p % 4 of the block p / 4 ---- */

static void Philox(uint32_t counter[4], uint64_t seed) {
  uint32_t key0 = (uint32_t)seed, key1 = (uint32_t)(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key0 += 0x9E3779B9u;
      key1 += 0xBB67AE85u;
    }
    const uint64_t p0 = (uint64_t)0xD2511F53u * counter[0];
    const uint64_t p1 = (uint64_t)0xCD9E8D57u * counter[2];
    const uint32_t c1 = counter[1], c3 = counter[3];
    counter[0] = (uint32_t)(p1 >> 32) ^ c1 ^ key0;
    counter[1] = (uint32_t)p1;
    counter[2] = (uint32_t)(p0 >> 32) ^ c3 ^ key1;
    counter[3] = (uint32_t)p0;
  }
}

static uint32_t RandomBits(uint64_t seed, uint64_t position) {
  uint32_t counter[4] = {(uint32_t)(position / 4), (uint32_t)((position / 4) >> 32), 0, 0};
  Philox(counter, seed);
  return counter[position % 4];
}

/* The top 24 bits: exact in float32 and float64. */
static double Uniform(uint32_t bits) { return (double)(bits >> 8) * (1.0 / 16777216.0); }

/* Box-Muller (cosine branch) on words 2 * (p % 2) and the next of block p / 2. */
static double Normal(uint64_t seed, uint64_t position) {
  uint32_t words[4] = {(uint32_t)(position / 2), (uint32_t)((position / 2) >> 32), 0, 0};
  Philox(words, seed);
  const int first = (int)(position % 2) * 2;
  const double u1 = ((double)words[first] + 1.0) * (1.0 / 4294967296.0);
  const double u2 = (double)words[first + 1] * (1.0 / 4294967296.0);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925286766559 * u2);
}

/* ---- the value of every elementwise op, in double (docs/ops.md) ---- */

static double NanMinimum(double x, double y) { return isnan(x) || isnan(y) ? NAN : (y < x ? y : x); }
static double NanMaximum(double x, double y) { return isnan(x) || isnan(y) ? NAN : (y > x ? y : x); }

static double Apply(int op, double x, double y) {
  switch (op) {
    case NEON_OP_FINITE: return isfinite(x) ? 1.0 : 0.0;
    case NEON_OP_NEG: return -x;
    case NEON_OP_ABS: return fabs(x);
    case NEON_OP_SGN: return isnan(x) ? x : (double)((x > 0) - (x < 0));
    case NEON_OP_SQRT: return sqrt(x);
    case NEON_OP_SQR: return x * x;
    case NEON_OP_EXP: return exp(x);
    case NEON_OP_LOG: return log(x);
    case NEON_OP_EXP2: return exp2(x);
    case NEON_OP_LOG2: return log2(x);
    case NEON_OP_SIG: return 1.0 / (1.0 + exp(-x));
    case NEON_OP_SIG2: return 1.0 / (1.0 + exp2(-x));
    case NEON_OP_TANH: return tanh(x);
    case NEON_OP_TANH2: return tanh(x * 0.69314718055994530942);
    case NEON_OP_SAFELOG: return x > exp(-50.0) ? log(x) : (isnan(x) ? x : -50.0);
    case NEON_OP_RINT: return nearbyint(x); /* halves to even */
    case NEON_OP_BINARIZE: return isnan(x) ? x : (x >= 0 ? 1.0 : -1.0);
    case NEON_OP_ADD: return x + y;
    case NEON_OP_SUB: return x - y;
    case NEON_OP_MUL: return x * y;
    case NEON_OP_DIV: return x / y;
    case NEON_OP_EQ: return x == y;
    case NEON_OP_NE: return x != y;
    case NEON_OP_LT: return x < y;
    case NEON_OP_LE: return x <= y;
    case NEON_OP_GT: return x > y;
    case NEON_OP_GE: return x >= y;
    case NEON_OP_POW: return pow(x, y);
    case NEON_OP_MINIMUM: return NanMinimum(x, y);
    case NEON_OP_MAXIMUM: return NanMaximum(x, y);
    case NEON_OP_SHIFT: return x * exp2(y);
    default: return NAN; /* the runtime admits no other op into a kernel */
  }
}

/* ---- the fused-kernel interpreter ---- */

/* Runs `program` at (i, j); kRand numbers positions with row width `stream_cols`. */
static double Evaluate(const NeonInstr* program, int32_t size, const NeonKernelArgs* args, int64_t i, int64_t j,
                       int64_t stream_cols, double reduced, double* regs) {
  for (int32_t k = 0; k < size; ++k) {
    const NeonInstr* instr = &program[k];
    switch (instr->op) {
      case NEON_OP_TENSOR: regs[k] = Load(&args->inputs[instr->slot], i, j); break;
      case NEON_OP_SCALAR: regs[k] = args->params[instr->slot]; break;
      case NEON_OP_ROW_INDEX: regs[k] = (double)i; break;
      case NEON_OP_COL_INDEX: regs[k] = (double)j; break;
      case NEON_OP_REDUCED: regs[k] = reduced; break;
      case NEON_OP_RAND: {
        const double* p = &args->params[instr->slot];
        const uint64_t seed = (uint64_t)p[0] | (uint64_t)p[1] << 32;
        regs[k] = Uniform(RandomBits(seed, (uint64_t)p[2] + (uint64_t)(i * stream_cols + j)));
        break;
      }
      default: regs[k] = Apply(instr->op, regs[instr->a], instr->b >= 0 ? regs[instr->b] : 0.0);
    }
  }
  return regs[size - 1];
}

/* Folds x (at position t of the reduced axis) into value/index; index -1 means empty so far.
 * max/min propagate NaN; argmax/argmin keep the first index on ties and the first NaN. */
static void Accumulate(int op, double* value, int64_t* index, double x, int64_t t) {
  if (*index < 0) {
    *value = x;
    *index = t;
    return;
  }
  const int better = op == NEON_OP_MAX || op == NEON_OP_ARGMAX ? x > *value : x < *value;
  if (op == NEON_OP_SUM) {
    *value += x;
  } else if (!isnan(*value) && (isnan(x) || better)) {
    *value = x;
    if (op == NEON_OP_ARGMAX || op == NEON_OP_ARGMIN) *index = t;
  }
}

static double Reduced(int op, double value, int64_t index) {
  if (index < 0) return op == NEON_OP_MAX ? -INFINITY : op == NEON_OP_MIN ? INFINITY : 0.0;
  return op == NEON_OP_ARGMAX || op == NEON_OP_ARGMIN ? (double)index : value;
}

static NeonError* RunKernel(NeonDevice* device, const NeonKernel* kernel, const NeonKernelArgs* args) {
  (void)device;
  const int32_t regs_size = kernel->body_size > kernel->epilogue_size ? kernel->body_size : kernel->epilogue_size;
  double* regs = (double*)malloc(sizeof(double) * (size_t)regs_size);
  if (regs == NULL) return Fail("out of memory");
  if (!kernel->has_reduction) {
    for (int64_t i = 0; i < args->rows; ++i) {
      for (int64_t j = 0; j < args->cols; ++j) {
        Store(&args->output, i, j, Evaluate(kernel->body, kernel->body_size, args, i, j, args->cols, 0.0, regs));
      }
    }
    free(regs);
    return NULL;
  }
  const int axis = kernel->reduce_axis;
  const int op = kernel->reduce_op;
  const int64_t out_rows = axis == 1 ? args->rows : 1, out_cols = axis == 0 ? args->cols : 1;
  const int64_t length = axis == 0 ? args->rows : axis == 1 ? args->cols : args->rows * args->cols;
  /* Reduce everything first: the output may alias an input of the body. */
  double* reduced = (double*)malloc(sizeof(double) * (size_t)(out_rows * out_cols + 1));
  if (reduced == NULL) {
    free(regs);
    return Fail("out of memory");
  }
  for (int64_t oi = 0; oi < out_rows; ++oi) {
    for (int64_t oj = 0; oj < out_cols; ++oj) {
      double value = 0.0;
      int64_t index = -1;
      for (int64_t t = 0; t < length; ++t) {
        const int64_t i = axis == 0 ? t : axis == 1 ? oi : t / args->cols;
        const int64_t j = axis == 0 ? oj : axis == 1 ? t : t % args->cols;
        Accumulate(op, &value, &index, Evaluate(kernel->body, kernel->body_size, args, i, j, args->cols, 0.0, regs), t);
      }
      reduced[oi * out_cols + oj] = Reduced(op, value, index);
    }
  }
  for (int64_t oi = 0; oi < out_rows; ++oi) {
    for (int64_t oj = 0; oj < out_cols; ++oj) {
      const double value = reduced[oi * out_cols + oj];
      Store(&args->output, oi, oj,
            kernel->epilogue_size == 0
                ? value
                : Evaluate(kernel->epilogue, kernel->epilogue_size, args, oi, oj, out_cols, value, regs));
    }
  }
  free(reduced);
  free(regs);
  return NULL;
}

/* ---- GEMM and random fills ---- */

/* op(X) of matrix `b` in the batch as a strided view. */
static NeonTensorRef MatrixView(const NeonMatrixRef* matrix, int64_t b, int32_t dtype) {
  NeonTensorRef view = {matrix->buffer, matrix->offset + b * matrix->batch_stride, matrix->trans ? 1 : matrix->ld,
                        matrix->trans ? matrix->ld : 1, dtype};
  return view;
}

static NeonError* Gemm(NeonDevice* device, const NeonGemmArgs* args) {
  (void)device;
  /* Every product is formed before C is written, so C may overlap A or B. */
  double* products = (double*)malloc(sizeof(double) * (size_t)(args->batch * args->m * args->n + 1));
  if (products == NULL) return Fail("out of memory");
  for (int64_t b = 0; b < args->batch; ++b) {
    const NeonTensorRef a = MatrixView(&args->a, b, args->dtype), bm = MatrixView(&args->b, b, args->dtype);
    for (int64_t i = 0; i < args->m; ++i) {
      for (int64_t j = 0; j < args->n; ++j) {
        double sum = 0.0;
        for (int64_t p = 0; p < args->k; ++p) sum += Load(&a, i, p) * Load(&bm, p, j);
        products[(b * args->m + i) * args->n + j] = sum;
      }
    }
  }
  for (int64_t b = 0; b < args->batch; ++b) {
    const NeonTensorRef c = MatrixView(&args->c, b, args->dtype);
    for (int64_t i = 0; i < args->m; ++i) {
      for (int64_t j = 0; j < args->n; ++j) {
        double value = args->alpha * products[(b * args->m + i) * args->n + j];
        if (args->beta != 0.0) value += args->beta * Load(&c, i, j); /* beta == 0: C is never read */
        Store(&c, i, j, value);
      }
    }
  }
  free(products);
  return NULL;
}

static NeonError* FillRandom(NeonDevice* device, const NeonRandomArgs* args) {
  (void)device;
  for (int64_t i = 0; i < args->rows; ++i) {
    for (int64_t j = 0; j < args->cols; ++j) {
      const uint64_t position = args->counter_offset + (uint64_t)(i * args->cols + j);
      double value;
      if (args->distribution == NEON_UNIFORM && args->dst.dtype == NEON_FLOAT32) {
        /* float32 math for a float32 destination, never contracted to an FMA. */
        const float a = (float)args->a, b = (float)args->b;
        value = a + (b - a) * (float)Uniform(RandomBits(args->seed, position));
      } else if (args->distribution == NEON_UNIFORM) {
        value = args->a + (args->b - args->a) * Uniform(RandomBits(args->seed, position));
      } else if (args->distribution == NEON_NORMAL) {
        value = args->a + args->b * Normal(args->seed, position);
      } else {
        value = Uniform(RandomBits(args->seed, position)) < args->a ? 1.0 : 0.0;
      }
      Store(&args->dst, i, j, value);
    }
  }
  return NULL;
}

/* ---- the entry point ---- */

static const NeonBackendApi kApi = {
    sizeof(NeonBackendApi), NEON_PLUGIN_API_MAJOR, NEON_PLUGIN_API_MINOR,
    CreateDevice, DestroyDevice, DeviceInfo, Allocate, FreeBuffer, CopyIn, CopyOut, RunKernel, Gemm, FillRandom,
    Copy, NULL, /* synchronize: every call finishes before it returns */
};

NEON_PLUGIN_EXPORT const NeonBackendApi* neon_backend_get_api_v1(const NeonHostApi* host) {
  if (host == NULL || host->api_major != NEON_PLUGIN_API_MAJOR) return NULL;
  return &kApi;
}
