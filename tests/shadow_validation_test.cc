// Shadow validation (--validate) stops at the stage a deliberately broken backend gets
// wrong, names it, and lets a correct backend run untouched.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "backends/reference/reference_backend.h"
#include "backends/registry.h"
#include "backends/shadow_backend.h"
#include "core/error.h"
#include "graph/expr.h"
#include "tests/faulty_backend.h"

namespace neon::conformance {
namespace {

std::unique_ptr<Backend> ValidatedFaulty(Fault fault) {
  return MakeShadowValidatedBackend(MakeFaultyBackend(MakeReferenceBackend(), fault));
}

// The report of the ShadowMismatchError `run` throws; fails the test when none is thrown.
template <typename Run>
std::string MismatchReport(Run run) {
  try {
    run();
  } catch (const ShadowMismatchError& mismatch) {
    return mismatch.what();
  }
  ADD_FAILURE() << "no ShadowMismatchError";
  return "";
}

void ExpectContains(const std::string& report, const std::string& part) {
  EXPECT_NE(report.find(part), std::string::npos) << "'" << part << "' missing from:\n" << report;
}

TEST(ShadowValidation, CatchesAWrongFusedKernelAndNamesTheOpTree) {
  std::unique_ptr<Backend> backend = ValidatedFaulty(Fault::kRintRoundsHalvesAwayFromZero);
  Tensor x = array(*backend, std::vector<float>{0.5f, 1.5f, 2.5f, -0.5f, 3.0f, 4.25f}, {2, 3}, DType::kFloat32, "x");
  Tensor y = empty(*backend, {2, 3}, DType::kFloat32, "y");
  const std::string report = MismatchReport([&] { y.assign(rint(x) + 1); });
  ExpectContains(report, "stage: fused kernel, 2 x 3, compute float32");
  ExpectContains(report, "= rint r");
  ExpectContains(report, "input 0: float32 offset 0 strides (3, 1)");
  ExpectContains(report, "first differing element 0: reference 1, device 2 (element 0 is (0, 0) of 2 x 3)");
  ExpectContains(report, "while assigning add(rint(x(2, 3)), 1) to 'y' (2, 3)");
}

TEST(ShadowValidation, CatchesAGemmThatReadsCWhenBetaIsZero) {
  std::unique_ptr<Backend> backend = ValidatedFaulty(Fault::kGemmReadsCWhenBetaIsZero);
  Tensor a = ones(*backend, {4, 3});
  Tensor b = ones(*backend, {3, 5});
  Tensor c = full(*backend, {4, 5}, NAN);
  const std::string report = MismatchReport([&] { c.assign(dot(a, b)); });
  ExpectContains(report, "stage: gemm (matrix 0 of 1)");
  ExpectContains(report, "m=4 n=5 k=3");
  ExpectContains(report, "non-finite mismatch at element 0: reference 3, device nan");
}

TEST(ShadowValidation, CatchesARandomFillThatIgnoresItsStreamOffset) {
  std::unique_ptr<Backend> backend = ValidatedFaulty(Fault::kFillIgnoresStreamOffset);
  Tensor t = empty(*backend, {3, 4});
  RandomArgs args;
  args.dst = {t.buffer().get(), 0, 4, 1, DType::kFloat32};
  args.rows = 3;
  args.cols = 4;
  args.counter_offset = 12;
  const std::string report = MismatchReport([&] { backend->fill_random(args); });
  ExpectContains(report, "stage: fill_random");
  ExpectContains(report, "stream offset 12");
}

TEST(ShadowValidation, ReportShowsTheGeneratedOpenCLSource) {
  std::unique_ptr<Backend> opencl;
  try {
    opencl = CreateBackend("opencl");
  } catch (const BackendError& error) {
    GTEST_SKIP() << "no OpenCL device: " << error.what();
  }
  std::unique_ptr<Backend> backend =
      MakeShadowValidatedBackend(MakeFaultyBackend(std::move(opencl), Fault::kRintRoundsHalvesAwayFromZero));
  Tensor x = array(*backend, std::vector<float>{0.5f, 2.5f}, {1, 2});
  Tensor y = empty(*backend, {1, 2});
  const std::string report = MismatchReport([&] { y.assign(rint(x)); });
  ExpectContains(report, "OpenCL C source:");
  ExpectContains(report, "__kernel");
}

TEST(ShadowValidation, CorrectBackendRunsUntouched) {
  std::unique_ptr<Backend> backend = MakeShadowValidatedBackend(CreateBackend("cpu"));
  Tensor x = array(*backend, std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor w = array(*backend, std::vector<float>{1, 0, 2, 1, 0, 3}, {3, 2});
  Tensor y = empty(*backend, {2, 1});
  y.assign(sum(sig(dot(x, w)) * 2, 1));
  Tensor z = empty(*backend, {2, 2});
  z.assign(dot(x, w));
  EXPECT_EQ(z.get<float>(), (std::vector<float>{5, 11, 14, 23}));
}

TEST(ShadowValidation, RegistryWrapsEveryBackendButReferenceWhenRequested) {
  setenv("NEON_VALIDATE", "1", 1);
  EXPECT_NE(CreateBackend("cpu")->info().description.find("shadow-validated"), std::string::npos);
  EXPECT_EQ(CreateBackend("reference")->info().description.find("shadow-validated"), std::string::npos);
  unsetenv("NEON_VALIDATE");
  EXPECT_EQ(CreateBackend("cpu")->info().description.find("shadow-validated"), std::string::npos);
}

}  // namespace
}  // namespace neon::conformance
