#include "backends/plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "backends/plugin_api.h"
#include "backends/validate.h"
#include "core/error.h"

namespace neon {

namespace {

// The ABI's op codes are the op table's: one list checked against the other at compile time.
constexpr std::string_view kAbiOpNames[] = {
#define NEON_ABI_OP_NAME(name, code, text) text,
    NEON_PLUGIN_OP_LIST(NEON_ABI_OP_NAME)
#undef NEON_ABI_OP_NAME
};
constexpr bool AbiOpsMatchOpTable() {
  if (std::size(kAbiOpNames) != static_cast<size_t>(kNumOpKinds)) return false;
  for (int op = 0; op < kNumOpKinds; ++op) {
    if (kAbiOpNames[op] != OpName(static_cast<OpKind>(op))) return false;
  }
  return true;
}
static_assert(AbiOpsMatchOpTable(), "core/op_table.h and NEON_PLUGIN_OP_LIST must list the same ops in order");
static_assert(static_cast<int>(DType::kFloat32) == NEON_FLOAT32 && static_cast<int>(DType::kFloat64) == NEON_FLOAT64 &&
              static_cast<int>(DType::kInt32) == NEON_INT32);
static_assert(static_cast<int>(Distribution::kUniform) == NEON_UNIFORM &&
              static_cast<int>(Distribution::kNormal) == NEON_NORMAL &&
              static_cast<int>(Distribution::kBernoulli) == NEON_BERNOULLI);

// ABI 1.0's table ends with its required slots; optional ones may be absent.
constexpr size_t kRequiredApiSize = offsetof(NeonBackendApi, copy);

void LogFromPlugin(int level, const char* message) {
  const char* prefix = level >= NEON_LOG_ERROR ? "error: " : level == NEON_LOG_WARNING ? "warning: " : "";
  std::fprintf(stderr, "neon plugin: %s%s\n", prefix, message == nullptr ? "(null)" : message);
}

const NeonHostApi kHostApi = {sizeof(NeonHostApi), NEON_PLUGIN_API_MAJOR, NEON_PLUGIN_API_MINOR, LogFromPlugin};

// A library whose table passed every load check; never unloaded.
struct PluginLibrary {
  std::string path;
  NeonBackendApi api;  // the plugin's table, absent trailing slots NULL
};

[[noreturn]] void LoadFailure(const std::string& path, const std::string& what) {
  throw BackendError("plugin '" + path + "': " + what);
}

// The entry symbol of another major version, if the library has one: a clearer error than "missing".
int OtherMajorExported(void* library) {
  for (int major = 0; major <= 99; ++major) {
    if (major == NEON_PLUGIN_API_MAJOR) continue;
    if (dlsym(library, ("neon_backend_get_api_v" + std::to_string(major)).c_str()) != nullptr) return major;
  }
  return -1;
}

std::shared_ptr<const PluginLibrary> OpenLibrary(const std::string& path) {
  struct stat status;
  if (stat(path.c_str(), &status) != 0) LoadFailure(path, "no such file (expected a shared library)");
  if (!S_ISREG(status.st_mode)) LoadFailure(path, "not a regular file (expected a shared library)");
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* reason = dlerror();
    LoadFailure(path, std::string("not a loadable shared library (") + (reason ? reason : "dlopen failed") + ")");
  }
  auto entry = reinterpret_cast<NeonGetBackendApiFunction>(dlsym(library, NEON_PLUGIN_ENTRY_NAME));
  if (entry == nullptr) {
    const int other = OtherMajorExported(library);
    if (other >= 0) {
      LoadFailure(path, "built for plugin ABI major " + std::to_string(other) + ", this runtime speaks major " +
                            std::to_string(NEON_PLUGIN_API_MAJOR) + " (expected symbol " + NEON_PLUGIN_ENTRY_NAME + ")");
    }
    LoadFailure(path, std::string("does not export ") + NEON_PLUGIN_ENTRY_NAME +
                          " (expected the entry symbol of backends/plugin_api.h, extern \"C\" and visible)");
  }
  const NeonBackendApi* table = entry(&kHostApi);
  if (table == nullptr) LoadFailure(path, std::string(NEON_PLUGIN_ENTRY_NAME) + " returned no table");
  if (table->struct_size < kRequiredApiSize) {
    LoadFailure(path, "NeonBackendApi.struct_size is " + std::to_string(table->struct_size) +
                          " bytes, expected at least " + std::to_string(kRequiredApiSize) + " (ABI 1.0)");
  }
  if (table->api_major != NEON_PLUGIN_API_MAJOR) {
    LoadFailure(path, "table says plugin ABI major " + std::to_string(table->api_major) +
                          ", this runtime speaks major " + std::to_string(NEON_PLUGIN_API_MAJOR));
  }
  auto loaded = std::make_shared<PluginLibrary>();
  loaded->path = path;
  std::memset(&loaded->api, 0, sizeof(loaded->api));
  std::memcpy(&loaded->api, table, std::min(table->struct_size, sizeof(loaded->api)));
  loaded->api.struct_size = sizeof(loaded->api);
  const NeonBackendApi& api = loaded->api;
  const std::pair<const char*, bool> required[] = {
      {"create_device", api.create_device != nullptr}, {"destroy_device", api.destroy_device != nullptr},
      {"device_info", api.device_info != nullptr},     {"allocate", api.allocate != nullptr},
      {"free_buffer", api.free_buffer != nullptr},     {"copy_in", api.copy_in != nullptr},
      {"copy_out", api.copy_out != nullptr},           {"run_kernel", api.run_kernel != nullptr},
      {"gemm", api.gemm != nullptr},                   {"fill_random", api.fill_random != nullptr},
  };
  for (const auto& [slot, present] : required) {
    if (!present) LoadFailure(path, std::string("required slot '") + slot + "' is NULL");
  }
  return loaded;
}

// Turns a plugin's error object into a BackendError naming the plugin and the call.
void ThrowIfError(const PluginLibrary& library, NeonError* error, const char* call) {
  if (error == nullptr) return;
  std::string message = error->message != nullptr ? error->message : "(no message)";
  if (error->destroy != nullptr) error->destroy(error);
  throw BackendError("plugin '" + library.path + "' " + call + ": " + message);
}

// The plugin's device; shared by the backend and its buffers so it outlives both.
class PluginDevice {
 public:
  PluginDevice(std::shared_ptr<const PluginLibrary> library, NeonDevice* handle)
      : library_(std::move(library)), handle_(handle) {}
  ~PluginDevice() { library_->api.destroy_device(handle_); }
  PluginDevice(const PluginDevice&) = delete;
  PluginDevice& operator=(const PluginDevice&) = delete;

  const NeonBackendApi& api() const { return library_->api; }
  const PluginLibrary& library() const { return *library_; }
  NeonDevice* handle() const { return handle_; }
  void Check(NeonError* error, const char* call) const { ThrowIfError(*library_, error, call); }

 private:
  std::shared_ptr<const PluginLibrary> library_;
  NeonDevice* handle_;
};

class PluginBuffer final : public Buffer {
 public:
  PluginBuffer(Backend& backend, size_t bytes, std::shared_ptr<PluginDevice> device, NeonBuffer* handle)
      : Buffer(backend, bytes), device_(std::move(device)), handle_(handle) {}
  ~PluginBuffer() override { device_->api().free_buffer(device_->handle(), handle_); }

  static NeonBuffer* Handle(const Buffer* buffer) {
    return buffer == nullptr ? nullptr : static_cast<const PluginBuffer*>(buffer)->handle_;
  }

 private:
  std::shared_ptr<PluginDevice> device_;
  NeonBuffer* handle_;
};

NeonTensorRef ToAbi(const TensorRef& ref) {
  return {PluginBuffer::Handle(ref.buffer), ref.offset, ref.row_stride, ref.col_stride, static_cast<int32_t>(ref.dtype)};
}

NeonMatrixRef ToAbi(const MatrixRef& ref) {
  return {PluginBuffer::Handle(ref.buffer), ref.offset, ref.ld, ref.trans ? 1 : 0, ref.batch_stride};
}

std::vector<NeonInstr> ToAbi(const std::vector<Instr>& program) {
  std::vector<NeonInstr> instrs;
  instrs.reserve(program.size());
  for (const Instr& instr : program) instrs.push_back({static_cast<int32_t>(instr.op), instr.a, instr.b, instr.slot});
  return instrs;
}

class PluginBackend final : public Backend {
 public:
  explicit PluginBackend(std::shared_ptr<PluginDevice> device) : device_(std::move(device)) {
    NeonDeviceInfo info;
    std::memset(&info, 0, sizeof(info));
    info.struct_size = sizeof(info);
    device_->Check(api().device_info(device_->handle(), &info), "device_info");
    const std::string& path = device_->library().path;
    if (info.name == nullptr || *info.name == '\0') LoadFailure(path, "device_info left the name empty");
    info_.name = std::string("plugin:") + info.name;
    info_.kind = "plugin";
    info_.description = std::string(info.description != nullptr ? info.description : info.name) + " (" + path + ")";
    info_.device_type = info.device_type != nullptr ? info.device_type : "accelerator";
    info_.memory_bytes = info.memory_bytes;
    info_.compute_units = info.compute_units;
    info_.supports_float64 = (info.capabilities & NEON_CAP_FLOAT64) != 0;
  }
  ~PluginBackend() override = default;

  const DeviceInfo& info() const override { return info_; }

  std::shared_ptr<Buffer> allocate(size_t bytes) override {
    NeonBuffer* handle = nullptr;
    device_->Check(api().allocate(device_->handle(), bytes, &handle), "allocate");
    if (handle == nullptr && bytes > 0) {
      throw BackendError("plugin '" + device_->library().path + "' allocate: returned no buffer for " +
                         std::to_string(bytes) + " bytes");
    }
    return std::make_shared<PluginBuffer>(*this, bytes, device_, handle);
  }

  void copy_in(Buffer& dst, size_t offset, const void* src, size_t bytes) override {
    CheckOwnedBy(&dst, *this, "copy_in dst");
    CheckByteRange(dst, offset, bytes, "copy_in dst");
    if (bytes == 0) return;
    if (src == nullptr) throw ArgumentError("copy_in: host source is null");
    device_->Check(api().copy_in(device_->handle(), PluginBuffer::Handle(&dst), offset, src, bytes), "copy_in");
  }

  void copy_out(const Buffer& src, size_t offset, void* dst, size_t bytes) override {
    CheckOwnedBy(&src, *this, "copy_out src");
    CheckByteRange(src, offset, bytes, "copy_out src");
    if (bytes == 0) return;
    if (dst == nullptr) throw ArgumentError("copy_out: host destination is null");
    device_->Check(api().copy_out(device_->handle(), PluginBuffer::Handle(&src), offset, dst, bytes), "copy_out");
  }

  void copy(const Buffer& src, size_t src_offset, Buffer& dst, size_t dst_offset, size_t bytes) override {
    CheckOwnedBy(&src, *this, "copy src");
    CheckOwnedBy(&dst, *this, "copy dst");
    CheckByteRange(src, src_offset, bytes, "copy src");
    CheckByteRange(dst, dst_offset, bytes, "copy dst");
    if (bytes == 0) return;
    if (api().copy != nullptr) {
      device_->Check(api().copy(device_->handle(), PluginBuffer::Handle(&src), src_offset, PluginBuffer::Handle(&dst),
                                dst_offset, bytes),
                     "copy");
      return;
    }
    // Default for a plugin without `copy`: through host memory (which also makes overlap safe).
    std::vector<std::byte> staging(bytes);
    copy_out(src, src_offset, staging.data(), bytes);
    copy_in(dst, dst_offset, staging.data(), bytes);
  }

  void run(const FusedKernel& kernel, const KernelArgs& args) override {
    CheckKernelLaunch(kernel, args, *this);
    for (size_t slot = 0; slot < args.inputs.size(); ++slot) {
      if (UseOfInput(kernel, static_cast<int>(slot)).any()) RequireDType(args.inputs[slot].dtype, "run: an input");
    }
    RequireDType(args.output.dtype, "run: the output");
    const std::string key = kernel.Key();
    std::vector<int32_t> input_dtypes;
    for (DType dtype : kernel.input_dtypes) input_dtypes.push_back(static_cast<int32_t>(dtype));
    const std::vector<NeonInstr> body = ToAbi(kernel.body);
    const std::vector<NeonInstr> epilogue = ToAbi(kernel.epilogue);
    NeonKernel abi_kernel = {sizeof(NeonKernel),
                             key.c_str(),
                             static_cast<int32_t>(input_dtypes.size()),
                             input_dtypes.data(),
                             kernel.num_params,
                             static_cast<int32_t>(kernel.compute_dtype),
                             static_cast<int32_t>(kernel.output_dtype),
                             static_cast<int32_t>(body.size()),
                             body.data(),
                             kernel.has_reduction ? 1 : 0,
                             static_cast<int32_t>(kernel.reduce_op),
                             kernel.reduce_axis,
                             static_cast<int32_t>(epilogue.size()),
                             epilogue.data()};
    std::vector<NeonTensorRef> inputs;
    for (const TensorRef& input : args.inputs) inputs.push_back(ToAbi(input));
    const NeonKernelArgs abi_args = {sizeof(NeonKernelArgs), args.rows, args.cols,
                                     static_cast<int32_t>(inputs.size()), inputs.data(), ToAbi(args.output),
                                     static_cast<int32_t>(args.params.size()), args.params.data()};
    device_->Check(api().run_kernel(device_->handle(), &abi_kernel, &abi_args), "run_kernel");
  }

  void gemm(const GemmArgs& args) override {
    CheckGemmLaunch(args, *this);
    RequireDType(args.dtype, "gemm");
    const NeonGemmArgs abi_args = {sizeof(NeonGemmArgs), static_cast<int32_t>(args.dtype), args.m, args.n, args.k,
                                   args.batch, args.alpha, args.beta, ToAbi(args.a), ToAbi(args.b), ToAbi(args.c)};
    device_->Check(api().gemm(device_->handle(), &abi_args), "gemm");
  }

  void fill_random(const RandomArgs& args) override {
    CheckRandomLaunch(args, *this);
    RequireDType(args.dst.dtype, "fill_random");
    const NeonRandomArgs abi_args = {sizeof(NeonRandomArgs), ToAbi(args.dst), args.rows, args.cols,
                                     static_cast<int32_t>(args.distribution), args.a, args.b, args.seed,
                                     args.counter_offset};
    device_->Check(api().fill_random(device_->handle(), &abi_args), "fill_random");
  }

  void synchronize() override {
    if (api().synchronize != nullptr) device_->Check(api().synchronize(device_->handle()), "synchronize");
  }

 private:
  const NeonBackendApi& api() const { return device_->api(); }

  // A device that did not declare NEON_CAP_FLOAT64 is never handed float64 data.
  void RequireDType(DType dtype, const char* what) const {
    if (dtype == DType::kFloat64 && !info_.supports_float64) {
      throw BackendError(std::string(what) + ": float64 on device '" + info_.name +
                         "', which does not declare NEON_CAP_FLOAT64 (use float32)");
    }
  }

  std::shared_ptr<PluginDevice> device_;
  DeviceInfo info_;
};

}  // namespace

std::unique_ptr<Backend> LoadPluginBackend(const std::string& path, const std::string& argument) {
  std::shared_ptr<const PluginLibrary> library = OpenLibrary(path);
  NeonDevice* handle = nullptr;
  ThrowIfError(*library, library->api.create_device(argument.c_str(), &handle), "create_device");
  if (handle == nullptr) LoadFailure(path, "create_device returned no device");
  return std::make_unique<PluginBackend>(std::make_shared<PluginDevice>(library, handle));
}

std::vector<std::string> PluginLibrariesOnPath() {
  std::vector<std::string> libraries;
  const char* env = std::getenv("NEON_BACKEND_PATH");
  if (env == nullptr) return libraries;
  const std::string text = env;
  for (size_t start = 0; start <= text.size();) {
    const size_t colon = std::min(text.find(':', start), text.size());
    const std::string directory = text.substr(start, colon - start);
    start = colon + 1;
    if (directory.empty()) continue;
    DIR* dir = opendir(directory.c_str());
    if (dir == nullptr) continue;  // a directory that does not exist offers nothing
    while (const dirent* entry = readdir(dir)) {
      const std::string name = entry->d_name;
      if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0) libraries.push_back(directory + "/" + name);
    }
    closedir(dir);
  }
  std::sort(libraries.begin(), libraries.end());
  return libraries;
}

}  // namespace neon
