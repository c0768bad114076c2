// The suite is only as good as the mistakes it catches: for each fault of the
// faulty backend (tests/faulty_backend.h), some case `neon check` runs must fail,
// and with no fault every case must pass.
#include <gtest/gtest.h>

#include <iostream>

#include "backends/reference/reference_backend.h"
#include "tests/conformance.h"
#include "tests/faulty_backend.h"

namespace neon::conformance {
namespace {

// Names of the cases that fail on `device`.
std::vector<std::string> FailingCases(Backend& device) {
  std::unique_ptr<Backend> reference = MakeReferenceBackend();
  std::vector<std::string> failing;
  for (size_t i = 0; i < CheckCases().size(); ++i) {
    CaseResult result = RunCase(CheckCases(), i, device, *reference);
    if (!result.ok) failing.push_back(CheckCases()[i].name + ": " + result.message);
  }
  return failing;
}

class FaultInjectionTest : public ::testing::TestWithParam<int> {};

TEST_P(FaultInjectionTest, SomeCaseCatchesTheFault) {
  const Fault fault = static_cast<Fault>(GetParam());
  std::unique_ptr<Backend> device = MakeFaultyBackend(MakeReferenceBackend(), fault);
  std::vector<std::string> failing = FailingCases(*device);
  EXPECT_FALSE(failing.empty()) << "no case catches: " << kFaultDescriptions[GetParam()];
  std::cout << kFaultDescriptions[GetParam()] << ": caught by " << failing.size() << " cases, first "
            << (failing.empty() ? "(none)" : failing[0]) << "\n";
}

INSTANTIATE_TEST_SUITE_P(EveryFault, FaultInjectionTest, ::testing::Range(0, kNumFaults));

// The wrapper itself is faithful: without its fault every case passes, so each catch above is the fault's.
TEST(FaultInjection, PassThroughPassesEverything) {
  std::unique_ptr<Backend> reference = MakeReferenceBackend();
  for (size_t i = 0; i < CheckCases().size(); ++i) {
    CaseResult result = RunCase(CheckCases(), i, *reference, *reference);
    EXPECT_TRUE(result.ok) << CheckCases()[i].name << ": " << result.message;
  }
}

}  // namespace
}  // namespace neon::conformance
