// OpenCLBackend::fill_random: Philox fills bit-identical to core/philox.h.
// Uniform and Bernoulli run on the device (integer Philox plus exact float
// steps); normal values are made on the host, because Box-Muller needs log and
// cos equal to the host's bit for bit, which device libraries do not promise.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <string>
#include <vector>

#include "backends/opencl/embedded_kernels.h"
#include "backends/opencl/opencl_backend.h"
#include "core/error.h"
#include "core/philox.h"
#include "core/scalar_ops.h"

namespace neon {

using opencl::CheckCl;

namespace {

template <typename T>
void SetArg(cl_kernel kernel, cl_uint& index, const T& value) {
  CheckCl(clSetKernelArg(kernel, index, sizeof(T), &value), "clSetKernelArg " + std::to_string(index));
  ++index;
}

// The threshold t with (bits >> 8) < t  <=>  philox::Uniform(bits) < p.
cl_uint BernoulliThreshold(double p) {
  if (!(p > 0.0)) return 0;   // also NaN: u < NaN is never true
  if (p >= 1.0) return 1u << 24;
  return static_cast<cl_uint>(std::ceil(p * 16777216.0));
}

template <typename T>
std::vector<T> HostNormal(const RandomArgs& args) {
  std::vector<T> values(static_cast<size_t>(args.rows * args.cols));
  for (int64_t i = 0; i < args.rows; ++i) {
    for (int64_t j = 0; j < args.cols; ++j) {
      const uint64_t position = args.counter_offset + static_cast<uint64_t>(i * args.cols + j);
      const double value = args.a + args.b * philox::Normal(args.seed, position);
      if constexpr (std::is_same_v<T, int32_t>) {
        values[i * args.cols + j] = ToInt32(value);
      } else {
        values[i * args.cols + j] = static_cast<T>(value);
      }
    }
  }
  return values;
}

}  // namespace

OpenCLBackend::RandomKernels& OpenCLBackend::RandomProgram(DType dtype) {
  auto found = random_.find(dtype);
  if (found != random_.end()) return found->second;
  // int32 destinations compute in float64, like fused kernels.
  const bool is_float = dtype == DType::kFloat32;
  if (!is_float && !device_.info.supports_float64) {
    throw BackendError("fill_random: OpenCL device '" + device_.device_name + "' has no cl_khr_fp64, needed for " +
                       std::string(DTypeName(dtype)) + " destinations; expected a float32 destination");
  }
  std::string source = opencl::ProgramPrelude(!is_float);
  const char* dst_type = dtype == DType::kFloat32 ? "float" : dtype == DType::kFloat64 ? "double" : "int";
  source += std::string("\n#define DST_T ") + dst_type + "\n#define REAL " + (is_float ? "float" : "double") +
            "\n#define NEON_FN(name) name##" + (is_float ? "_f" : "_d") + "\n#define NEON_STORE(x) " +
            (dtype == DType::kInt32 ? "neon_to_int32_d(x)" : std::string("(") + dst_type + ")(x)") + "\n";
  source += opencl::EmbeddedKernelSource("random_fill.cl");
  RandomKernels kernels;
  kernels.program = programs_->Get(source, "", "random_fill.cl (" + std::string(DTypeName(dtype)) + ")");
  auto make = [&](const char* name) {
    cl_int status = CL_SUCCESS;
    opencl::KernelHandle kernel(clCreateKernel(kernels.program.get(), name, &status));
    CheckCl(status, std::string("clCreateKernel ") + name);
    return kernel;
  };
  kernels.uniform = make("neon_fill_uniform");
  kernels.bernoulli = make("neon_fill_bernoulli");
  kernels.scatter = make("neon_scatter");
  return random_.emplace(dtype, std::move(kernels)).first->second;
}

void OpenCLBackend::fill_random(const RandomArgs& args) {
  const TensorRef& dst = args.dst;
  if (dst.buffer == nullptr) throw ArgumentError("fill_random: the destination has no buffer");
  if (args.rows < 0 || args.cols < 0) throw ArgumentError("fill_random: negative size");
  cl_mem dst_mem = Mem(*dst.buffer);
  const int64_t elements = static_cast<int64_t>(dst.buffer->size_bytes() / SizeOf(dst.dtype));
  if (args.rows > 0 && args.cols > 0) {
    int64_t low = dst.offset, high = dst.offset;
    (dst.row_stride < 0 ? low : high) += (args.rows - 1) * dst.row_stride;
    (dst.col_stride < 0 ? low : high) += (args.cols - 1) * dst.col_stride;
    if (low < 0 || high >= elements) {
      throw ArgumentError("fill_random: the view reaches elements [" + std::to_string(low) + ", " +
                          std::to_string(high) + "]; expected them within the buffer's " + std::to_string(elements) +
                          " elements");
    }
  }
  if (args.rows == 0 || args.cols == 0) return;

  std::lock_guard<std::mutex> lock(mutex_);
  RandomKernels& kernels = RandomProgram(dst.dtype);
  const bool is_float = dst.dtype == DType::kFloat32;
  cl_uint index = 0;
  cl_kernel kernel = nullptr;
  opencl::MemHandle staging;
  switch (args.distribution) {
    case Distribution::kUniform:
    case Distribution::kBernoulli:
      kernel = args.distribution == Distribution::kUniform ? kernels.uniform.get() : kernels.bernoulli.get();
      SetArg<cl_long>(kernel, index, args.rows);
      SetArg<cl_long>(kernel, index, args.cols);
      SetArg(kernel, index, dst_mem);
      SetArg<cl_long>(kernel, index, dst.offset);
      SetArg<cl_long>(kernel, index, dst.row_stride);
      SetArg<cl_long>(kernel, index, dst.col_stride);
      SetArg<cl_ulong>(kernel, index, args.seed);
      SetArg<cl_ulong>(kernel, index, args.counter_offset);
      if (args.distribution == Distribution::kBernoulli) {
        SetArg<cl_uint>(kernel, index, BernoulliThreshold(args.a));
      } else if (is_float) {
        SetArg<cl_float>(kernel, index, static_cast<float>(args.a));
        SetArg<cl_float>(kernel, index, static_cast<float>(args.b));
      } else {
        SetArg<cl_double>(kernel, index, args.a);
        SetArg<cl_double>(kernel, index, args.b);
      }
      break;
    case Distribution::kNormal: {
      cl_int status = CL_SUCCESS;
      auto upload = [&](auto values) {
        staging = opencl::MemHandle(clCreateBuffer(context_.get(), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                                   values.size() * sizeof(values[0]), values.data(), &status));
      };
      if (dst.dtype == DType::kFloat32) upload(HostNormal<float>(args));
      if (dst.dtype == DType::kFloat64) upload(HostNormal<double>(args));
      if (dst.dtype == DType::kInt32) upload(HostNormal<int32_t>(args));
      CheckCl(status, "clCreateBuffer (normal values)");
      kernel = kernels.scatter.get();
      SetArg<cl_long>(kernel, index, args.rows);
      SetArg<cl_long>(kernel, index, args.cols);
      SetArg(kernel, index, staging.get());
      SetArg(kernel, index, dst_mem);
      SetArg<cl_long>(kernel, index, dst.offset);
      SetArg<cl_long>(kernel, index, dst.row_stride);
      SetArg<cl_long>(kernel, index, dst.col_stride);
      break;
    }
  }
  Launch2D(kernel, GroupLimit(kernel), args.rows, args.cols, "clEnqueueNDRangeKernel (fill_random)");
}

}  // namespace neon
