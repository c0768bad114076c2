// Loading plugins through the C ABI: each way a library can be wrong is one
// clear BackendError naming the file and what was expected; the example plugin
// loads, computes, and reports its errors through the adapter.
#include "backends/plugin.h"

#include <gtest/gtest.h>

#include <string>

#include "backends/registry.h"
#include "core/error.h"
#include "graph/expr.h"

namespace neon {
namespace {

const std::string kExample = "examples/plugin_backend/libneon_example_backend.so";

std::string Faulty(const std::string& fault) { return "backends/libfaulty_plugin_" + fault + ".so"; }

// The message of the BackendError that loading `spec` throws; fails the test when none is thrown.
std::string LoadError(const std::string& spec) {
  try {
    CreateBackend(spec);
  } catch (const BackendError& error) {
    std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
    return message;
  }
  ADD_FAILURE() << spec << " loaded, expected a BackendError";
  return "";
}

TEST(PluginLoad, MissingFile) {
  EXPECT_EQ(LoadError("plugin:/no/such/libmissing.so"),
            "plugin '/no/such/libmissing.so': no such file (expected a shared library)");
}

TEST(PluginLoad, NotASharedLibrary) {
  const std::string path = "backends/plugin_testdata/faulty_plugin.c";
  EXPECT_EQ(LoadError("plugin:" + path).rfind("plugin '" + path + "': not a loadable shared library (", 0), 0u);
}

TEST(PluginLoad, MissingSymbol) {
  EXPECT_EQ(LoadError("plugin:" + Faulty("no_symbol")),
            "plugin '" + Faulty("no_symbol") +
                "': does not export neon_backend_get_api_v1 (expected the entry symbol of backends/plugin_api.h, "
                "extern \"C\" and visible)");
}

TEST(PluginLoad, AbiMajorMismatchNamesBothNumbers) {
  EXPECT_EQ(LoadError("plugin:" + Faulty("other_major_symbol")),
            "plugin '" + Faulty("other_major_symbol") +
                "': built for plugin ABI major 2, this runtime speaks major 1 (expected symbol neon_backend_get_api_v1)");
  EXPECT_EQ(LoadError("plugin:" + Faulty("table_major")),
            "plugin '" + Faulty("table_major") + "': table says plugin ABI major 7, this runtime speaks major 1");
}

TEST(PluginLoad, NullRequiredSlot) {
  EXPECT_EQ(LoadError("plugin:" + Faulty("null_slot")),
            "plugin '" + Faulty("null_slot") + "': required slot 'gemm' is NULL");
}

TEST(PluginLoad, StructSizeTooSmall) {
  EXPECT_EQ(LoadError("plugin:" + Faulty("small_struct")),
            "plugin '" + Faulty("small_struct") + "': NeonBackendApi.struct_size is 24 bytes, expected at least " +
                std::to_string(10 * sizeof(void*) + 16) + " (ABI 1.0)");
}

TEST(PluginLoad, NullTable) {
  EXPECT_EQ(LoadError("plugin:" + Faulty("null_table")),
            "plugin '" + Faulty("null_table") + "': neon_backend_get_api_v1 returned no table");
}

TEST(PluginLoad, PluginErrorBecomesBackendErrorAndIsDestroyed) {
  EXPECT_EQ(LoadError("plugin:" + Faulty("create_fails")),
            "plugin '" + Faulty("create_fails") + "' create_device: this device is switched off");
  EXPECT_EQ(LoadError("plugin:" + kExample + ":bogus"),
            "plugin '" + kExample + "' create_device: unknown argument 'bogus' (expected none or 'no-float64')");
}

TEST(PluginExample, DescribesItselfAndComputes) {
  std::unique_ptr<Backend> backend = CreateBackend("plugin:" + kExample);
  EXPECT_EQ(backend->info().name, "plugin:example");
  EXPECT_EQ(backend->info().kind, "plugin");
  EXPECT_EQ(backend->info().description, "example host-memory plugin (" + kExample + ")");
  EXPECT_TRUE(backend->info().supports_float64);
  Tensor x = array(*backend, std::vector<float>{1, 2, 3, 4}, {2, 2});
  Tensor y = empty(*backend, {2, 1});
  y.assign(sum(x * 2, 1));
  EXPECT_EQ(y.get<float>(), (std::vector<float>{6, 14}));
}

// The runtime validates before the plugin sees a call: a bad view never reaches it.
TEST(PluginExample, RuntimeValidatesEveryCall) {
  std::unique_ptr<Backend> backend = CreateBackend("plugin:" + kExample);
  std::shared_ptr<Buffer> buffer = backend->allocate(16);
  std::vector<char> host(32);
  EXPECT_THROW(backend->copy_in(*buffer, 8, host.data(), 16), ArgumentError);
  RandomArgs random;
  random.dst = {buffer.get(), 0, 4, 1, DType::kFloat32};
  random.rows = 2;
  random.cols = 4;
  EXPECT_THROW(backend->fill_random(random), ArgumentError);
  // argmax over an empty axis has no index: the runtime says so before the plugin could.
  FusedKernel argmax;
  argmax.input_dtypes = {DType::kFloat32};
  argmax.body = {{OpKind::kTensor, -1, -1, 0}};
  argmax.has_reduction = true;
  argmax.reduce_op = OpKind::kArgmax;
  argmax.reduce_axis = 0;
  const TensorRef view = {buffer.get(), 0, 4, 1, DType::kFloat32};
  EXPECT_THROW(backend->run(argmax, {0, 4, {view}, view, {}}), ArgumentError);
}

TEST(PluginExample, DeviceWithoutFloat64IsNeverGivenFloat64) {
  std::unique_ptr<Backend> backend = CreateBackend("plugin:" + kExample + ":no-float64");
  EXPECT_FALSE(backend->info().supports_float64);
  Tensor x = array(*backend, std::vector<double>{1.5, 2.5}, {1, 2});  // float32 tensor set from doubles
  EXPECT_EQ(x.get<double>(), (std::vector<double>{1.5, 2.5}));
  Tensor wide = empty(*backend, {1, 2}, DType::kFloat64);
  try {
    wide.assign(x + 1);
    FAIL() << "a float64 kernel ran on a device without float64";
  } catch (const BackendError& error) {
    EXPECT_NE(std::string(error.what()).find("does not declare NEON_CAP_FLOAT64"), std::string::npos) << error.what();
  }
}

// The two programs of docs/porting.md, "The fused-kernel program", with the outputs it promises.
TEST(PluginExample, PortingGuidePrograms) {
  for (const char* spec : {"reference", "plugin:examples/plugin_backend/libneon_example_backend.so"}) {
    std::unique_ptr<Backend> backend = CreateBackend(spec);
    Tensor x = array(*backend, std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
    const TensorRef input = {x.buffer().get(), 0, 3, 1, DType::kFloat32};

    FusedKernel scale;
    scale.input_dtypes = {DType::kFloat32};
    scale.num_params = 1;
    scale.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kScalar, -1, -1, 0}, {OpKind::kMul, 0, 1, -1}};
    Tensor scaled = empty(*backend, {2, 3});
    backend->run(scale, {2, 3, {input}, {scaled.buffer().get(), 0, 3, 1, DType::kFloat32}, {2.0}});
    EXPECT_EQ(scaled.get<float>(), (std::vector<float>{2, 4, 6, 8, 10, 12})) << spec;

    FusedKernel row_sums;
    row_sums.input_dtypes = {DType::kFloat32};
    row_sums.num_params = 1;
    row_sums.body = {{OpKind::kTensor, -1, -1, 0}};
    row_sums.has_reduction = true;
    row_sums.reduce_op = OpKind::kSum;
    row_sums.reduce_axis = 1;
    row_sums.epilogue = {{OpKind::kReduced, -1, -1, -1}, {OpKind::kScalar, -1, -1, 0}, {OpKind::kAdd, 0, 1, -1}};
    Tensor sums = empty(*backend, {2, 1});
    backend->run(row_sums, {2, 3, {input}, {sums.buffer().get(), 0, 1, 1, DType::kFloat32}, {1.0}});
    EXPECT_EQ(sums.get<float>(), (std::vector<float>{7, 16})) << spec;
  }
}

// A table that ends before the optional slots gets the runtime's defaults (copy through host
// memory, synchronize doing nothing); the slot past struct_size is never called.
TEST(PluginLoad, AbsentOptionalSlotsTakeTheDefaults) {
  std::unique_ptr<Backend> backend = CreateBackend("plugin:backends/librequired_only_plugin.so");
  Tensor x = array(*backend, std::vector<float>{1, 2, 3, 4, 5, 6}, {1, 6});
  Tensor y = zeros(*backend, {1, 6});
  backend->copy(*x.buffer(), 4, *y.buffer(), 0, 12);      // another buffer
  backend->copy(*x.buffer(), 0, *x.buffer(), 8, 16);      // overlapping ranges in one buffer
  backend->synchronize();
  EXPECT_EQ(y.get<float>(), (std::vector<float>{2, 3, 4, 0, 0, 0}));
  EXPECT_EQ(x.get<float>(), (std::vector<float>{1, 2, 1, 2, 3, 4}));
}

TEST(PluginSpec, PathEndsAtSoAndMayHoldColons) {
  EXPECT_EQ(LoadError("plugin:/no/such:dir/libx.so:arg"), "plugin '/no/such:dir/libx.so': no such file (expected a shared library)");
}

}  // namespace
}  // namespace neon
