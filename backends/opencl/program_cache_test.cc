// The program cache on the real device: a second cache (as a second process
// would) loads binaries from disk without compiling, corrupt files are
// rewritten, and compiler errors come back with the log and source lines.
#include "backends/opencl/program_cache.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

#include "backends/opencl/opencl_backend.h"
#include "backends/opencl/opencl_test_util.h"
#include "core/error.h"

namespace neon::opencl {
namespace {

const std::string kSource =
    "__kernel void twice(__global float* x) { const size_t i = get_global_id(0); x[i] = 2.0f * x[i]; }\n";

// Runs `twice` from `program` on four floats and checks the result.
void ExpectTwiceWorks(OpenCLBackend& be, const ProgramHandle& program) {
  cl_int status = CL_SUCCESS;
  KernelHandle kernel(clCreateKernel(program.get(), "twice", &status));
  ASSERT_EQ(status, CL_SUCCESS);
  std::shared_ptr<Buffer> buffer = opencl_test::Upload(be, std::vector<float>{1, 2, 3, 4});
  cl_mem mem = be.Mem(*buffer);
  ASSERT_EQ(clSetKernelArg(kernel.get(), 0, sizeof mem, &mem), CL_SUCCESS);
  size_t global = 4;
  ASSERT_EQ(clEnqueueNDRangeKernel(be.queue(), kernel.get(), 1, nullptr, &global, nullptr, 0, nullptr, nullptr),
            CL_SUCCESS);
  EXPECT_EQ(opencl_test::Download<float>(be, *buffer), (std::vector<float>{2, 4, 6, 8}));
}

TEST(ProgramCache, SecondCacheLoadsFromDiskWithoutCompiling) {
  std::string dir = opencl_test::TempDir("program-cache-disk");
  std::filesystem::remove_all(dir);
  OpenCLBackend& be = opencl_test::SharedBackend();
  const std::string identity = be.device().device_name + "|" + be.device().driver_version;
  {
    ProgramCache first(be.context(), be.device().device, identity, dir);
    ProgramHandle program = first.Get(kSource, "", "twice");
    EXPECT_EQ(first.compile_count(), 1);
    EXPECT_EQ(first.disk_load_count(), 0);
    first.Get(kSource, "", "twice");   // memory hit
    EXPECT_EQ(first.compile_count(), 1);
    EXPECT_TRUE(std::filesystem::exists(first.CachePath(kSource, "")));
    ExpectTwiceWorks(be, program);
  }
  ProgramCache second(be.context(), be.device().device, identity, dir);
  ProgramHandle loaded = second.Get(kSource, "", "twice");
  EXPECT_EQ(second.compile_count(), 0);
  EXPECT_EQ(second.disk_load_count(), 1);
  ExpectTwiceWorks(be, loaded);
  // Another driver version is another key: compiled again.
  ProgramCache other_driver(be.context(), be.device().device, identity + "-new", dir);
  other_driver.Get(kSource, "", "twice");
  EXPECT_EQ(other_driver.compile_count(), 1);
}

TEST(ProgramCache, CorruptFilesAreIgnoredAndRewritten) {
  std::string dir = opencl_test::TempDir("program-cache-corrupt");
  std::filesystem::remove_all(dir);
  OpenCLBackend& be = opencl_test::SharedBackend();
  const std::string identity = be.device().device_name + "|" + be.device().driver_version;
  ProgramCache first(be.context(), be.device().device, identity, dir);
  first.Get(kSource, "", "twice");
  const std::string path = first.CachePath(kSource, "");
  for (const std::string& garbage : {std::string("not a binary"), std::string("NEONCLB1") + std::string(40, 'x')}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << garbage;
    ProgramCache reader(be.context(), be.device().device, identity, dir);
    ProgramHandle program = reader.Get(kSource, "", "twice");
    EXPECT_EQ(reader.compile_count(), 1) << garbage;
    ExpectTwiceWorks(be, program);
    ProgramCache again(be.context(), be.device().device, identity, dir);
    again.Get(kSource, "", "twice");
    EXPECT_EQ(again.compile_count(), 0) << "the rewritten file should load";
    EXPECT_EQ(again.disk_load_count(), 1);
  }
  // A binary whose bytes were flipped after the checksum was written.
  std::string data;
  {
    std::ifstream in(path, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  data[data.size() / 2] ^= 0x5a;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  ProgramCache flipped(be.context(), be.device().device, identity, dir);
  flipped.Get(kSource, "", "twice");
  EXPECT_EQ(flipped.compile_count(), 1);
}

TEST(ProgramCache, BuildErrorsCarryTheLogAndSourceLines) {
  OpenCLBackend& be = opencl_test::SharedBackend();
  ProgramCache cache(be.context(), be.device().device, "broken-test", "");
  const std::string broken =
      "// line 1\n"
      "__kernel void broken(__global float* x) {\n"
      "  x[0] = undefined_variable_here * 2.0f;\n"
      "}\n";
  try {
    cache.Get(broken, "", "broken-kernel-label");
    FAIL() << "expected BackendError";
  } catch (const BackendError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("broken-kernel-label"), std::string::npos) << message;
    EXPECT_NE(message.find("undefined_variable_here"), std::string::npos) << message;
    EXPECT_NE(message.find("error"), std::string::npos) << message;
    // The offending line is shown, numbered and marked.
    EXPECT_NE(message.find(">    3 |   x[0] = undefined_variable_here"), std::string::npos) << message;
    EXPECT_NE(message.find("(built twice)"), std::string::npos) << message;
  }
  EXPECT_EQ(cache.compile_count(), 2) << "a failed build is retried once";
}

TEST(ProgramCache, AnEmptyBuildLogIsNamed) {
  std::string message = FormatBuildFailure("k", "", "__kernel void k() {}\n");
  EXPECT_NE(message.find("(the driver gave no build log)"), std::string::npos) << message;
}

// A cache over `dir` on the shared backend's device.
std::unique_ptr<ProgramCache> CacheIn(const std::string& dir, uint64_t max_disk_bytes = kDefaultMaxDiskBytes) {
  OpenCLBackend& be = opencl_test::SharedBackend();
  return std::make_unique<ProgramCache>(be.context(), be.device().device,
                                        be.device().device_name + "|" + be.device().driver_version, dir,
                                        max_disk_bytes);
}

std::string FreshDir(const std::string& name) {
  std::string dir = opencl_test::TempDir(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(ProgramCache, WhatIsNotARegularCacheFileIsAMiss) {
  const std::string dir = FreshDir("program-cache-not-regular");
  const std::string path = CacheIn(dir)->CachePath(kSource, "");
  // A directory (read error), a FIFO (would block), /dev/zero (endless), a file above the size cap.
  std::filesystem::create_directory(path);
  for (int round = 0; round < 2; ++round) {  // every lookup, not only the first
    auto cache = CacheIn(dir);
    ProgramHandle program = cache->Get(kSource, "", "twice");
    EXPECT_EQ(cache->compile_count(), 1);
    ExpectTwiceWorks(opencl_test::SharedBackend(), program);
  }
  std::filesystem::remove(path);
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  EXPECT_EQ(CacheIn(dir)->Get(kSource, "", "twice") ? 1 : 0, 1);
  std::filesystem::remove(path);
  std::filesystem::create_symlink("/dev/zero", path);
  EXPECT_EQ(CacheIn(dir)->Get(kSource, "", "twice") ? 1 : 0, 1);
}

TEST(ProgramCache, AFileUnderAnotherKernelsNameIsIgnored) {
  const std::string dir = FreshDir("program-cache-wrong-name");
  const std::string thrice =
      "__kernel void twice(__global float* x) { const size_t i = get_global_id(0); x[i] = 3.0f * x[i]; }\n";
  auto writer = CacheIn(dir);
  writer->Get(thrice, "", "thrice");
  // The valid binary of `thrice` copied to the name of `twice`.
  std::filesystem::copy_file(writer->CachePath(thrice, ""), writer->CachePath(kSource, ""));
  auto reader = CacheIn(dir);
  ProgramHandle program = reader->Get(kSource, "", "twice");
  EXPECT_EQ(reader->disk_load_count(), 0);
  EXPECT_EQ(reader->compile_count(), 1);
  ExpectTwiceWorks(opencl_test::SharedBackend(), program);
}

TEST(ProgramCache, StaleTempFilesAndLeastRecentlyUsedBinariesArePruned) {
  namespace fs = std::filesystem;
  const std::string dir = FreshDir("program-cache-prune");
  auto source = [](int factor) {
    return "__kernel void twice(__global float* x) { x[get_global_id(0)] *= " + std::to_string(factor) + ".0f; }\n";
  };
  auto first = CacheIn(dir);
  first->Get(source(2), "", "two");
  first->Get(source(3), "", "three");
  const fs::path two = first->CachePath(source(2), ""), three = first->CachePath(source(3), "");
  const uint64_t bytes = fs::file_size(two) + fs::file_size(three);
  const auto now = fs::file_time_type::clock::now();
  fs::last_write_time(two, now - std::chrono::seconds(100));
  fs::last_write_time(three, now - std::chrono::seconds(200));  // the least recently used
  const fs::path stale = two.string() + ".tmp1.0", fresh = two.string() + ".tmp2.0";
  std::ofstream(stale) << "left by a writer that died";
  std::ofstream(fresh) << "being written right now";
  fs::last_write_time(stale, now - std::chrono::hours(2));
  // Room for about two binaries: storing a third evicts the least recently used one.
  auto second = CacheIn(dir, bytes + bytes / 4);
  second->Get(source(4), "", "four");
  EXPECT_TRUE(fs::exists(two));
  EXPECT_FALSE(fs::exists(three));
  EXPECT_TRUE(fs::exists(second->CachePath(source(4), "")));
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
}

TEST(ProgramCache, BackendCompilesEachPlanOnceAcrossInstances) {
  std::string dir = opencl_test::TempDir("backend-disk-cache");
  std::filesystem::remove_all(dir);
  FusedKernel k;
  k.input_dtypes = {DType::kFloat32};
  k.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kNeg, 0}, {OpKind::kExp, 1}};
  OpenCLOptions options;
  options.cache_dir = dir;
  for (int instance = 0; instance < 2; ++instance) {
    OpenCLBackend be(options);
    std::shared_ptr<Buffer> x = opencl_test::Upload(be, std::vector<float>{0, 1, 2, 3});
    KernelArgs args{1, 4, {{x.get(), 0, 4, 1, DType::kFloat32}}, {x.get(), 0, 4, 1, DType::kFloat32}, {}};
    be.run(k, args);
    be.run(k, args);   // same plan: no new program
    std::vector<float> got = opencl_test::Download<float>(be, *x);
    EXPECT_FLOAT_EQ(got[1], std::exp(-std::exp(-1.0f)));
    EXPECT_EQ(be.programs().compile_count(), instance == 0 ? 1 : 0);
    EXPECT_EQ(be.programs().disk_load_count(), instance == 0 ? 0 : 1);
  }
}

// Parallel test processes must not share one PoCL cache (pocl_test_env.cc).
TEST(PoclTestEnv, EachTestProcessHasItsOwnPoclCache) {
  const char* test_tmpdir = std::getenv("TEST_TMPDIR");
  if (test_tmpdir == nullptr) GTEST_SKIP() << "not run by Bazel";
  const char* pocl_cache = std::getenv("POCL_CACHE_DIR");
  ASSERT_NE(pocl_cache, nullptr);
  const std::string dir = pocl_cache;
  EXPECT_EQ(dir.rfind("/tmp/neon-pocl-cache/", 0), 0u) << dir;
  EXPECT_GT(dir.size(), std::string("/tmp/neon-pocl-cache/").size()) << "one directory for every test: " << dir;
}

}  // namespace
}  // namespace neon::opencl
