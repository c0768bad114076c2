// A Google Benchmark console reporter that also prints, at the end, each
// benchmark's median time divided by a named baseline's median from the
// same run (the machine is shared and noisy; ratios are what we quote).
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace neon::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Ratios are printed for every benchmark against `baseline` (a name prefix).
  explicit RatioReporter(std::string baseline) : baseline_(std::move(baseline)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      bool single = run.run_type == Run::RT_Iteration && run.repetitions <= 1;
      if (median || single) medians_[run.run_name.function_name] = run.GetAdjustedRealTime();
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    auto base = medians_.find(baseline_);
    if (base == medians_.end()) return;
    std::printf("\nmedian time relative to %s (%.3f us):\n", baseline_.c_str(), base->second / 1e3);
    for (const auto& [name, time] : medians_) {
      std::printf("  %-40s %10.3f us   %6.2fx\n", name.c_str(), time / 1e3, time / base->second);
    }
  }

 private:
  std::string baseline_;
  std::map<std::string, double> medians_;
};

}  // namespace neon::bench
