// Several threads share ONE backend (the contract in docs/threads.md): each
// thread runs every kind of tree (elementwise, temporaries, GEMM inside a
// tree, autodiff, rand) on its own data and checks every result on the host.
// One target per backend (tests/build_defs.bzl).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "autodiff/autodiff.h"
#include "backends/registry.h"
#include "graph/expr.h"
#include "graph/random_stream.h"
#include "tests/backends_under_test.h"

namespace neon {
namespace {

constexpr int kThreads = 4;
constexpr int kIterations = 12;
// Odd sizes: no tile or work-group divides them evenly.
constexpr int64_t kRows = 19;
constexpr int64_t kCols = 37;

std::vector<float> Draw(std::mt19937& engine, size_t count) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float& value : values) value = uniform(engine);
  return values;
}

// Collects the first failure of any thread (gtest assertions are not for worker threads).
class Failures {
 public:
  void Check(bool ok, const std::string& what) {
    if (ok) return;
    std::lock_guard<std::mutex> lock(mutex_);
    ++count_;
    if (first_.empty()) first_ = what;
  }
  int count() const { return count_; }
  const std::string& first() const { return first_; }

 private:
  std::mutex mutex_;
  int count_ = 0;
  std::string first_;
};

// Largest |expected - actual| relative to max(1, |expected|).
double MaxError(const std::vector<double>& expected, const std::vector<float>& actual) {
  if (expected.size() != actual.size()) return INFINITY;
  double worst = 0.0;
  for (size_t i = 0; i < expected.size(); ++i) {
    worst = std::max(worst, std::abs(expected[i] - actual[i]) / std::max(1.0, std::abs(expected[i])));
  }
  return worst;
}

// float32 on every backend: a few ulps of error per op, sums of 37 terms.
constexpr double kTolerance = 1e-5;

class Worker {
 public:
  Worker(Backend& backend, int id, Failures& failures)
      : backend_(backend), id_(id), failures_(failures), engine_(1000 + id) {}

  // Every tree kind, `iterations` times; rand draws are appended to `draws`.
  void Run(int iterations, std::vector<float>& draws) {
    for (int iteration = 0; iteration < iterations; ++iteration) {
      Elementwise();
      WithTemporary();
      GemmInsideTree();
      Gradient();
      Random(draws);
    }
  }

 private:
  std::string Label(const char* kind) const { return std::string(kind) + " in thread " + std::to_string(id_); }

  void Elementwise() {
    std::vector<float> x = Draw(engine_, kRows * kCols);
    Tensor tx = array(backend_, x, {kRows, kCols});
    Tensor out = empty(backend_, {kRows, kCols});
    out.assign(tx * 2.0 + 1.0);
    std::vector<double> expected(x.size());
    for (size_t i = 0; i < x.size(); ++i) expected[i] = 2.0 * x[i] + 1.0;
    failures_.Check(MaxError(expected, out.get<float>()) < kTolerance, Label("x * 2 + 1"));
  }

  // x - mean(x, 1): the row means go through a temporary.
  void WithTemporary() {
    std::vector<float> x = Draw(engine_, kRows * kCols);
    Tensor tx = array(backend_, x, {kRows, kCols});
    Tensor out = empty(backend_, {kRows, kCols});
    out.assign(tx - mean(tx, 1));
    std::vector<double> expected(x.size());
    for (int64_t i = 0; i < kRows; ++i) {
      double total = 0.0;
      for (int64_t j = 0; j < kCols; ++j) total += x[i * kCols + j];
      for (int64_t j = 0; j < kCols; ++j) expected[i * kCols + j] = x[i * kCols + j] - total / kCols;
    }
    failures_.Check(MaxError(expected, out.get<float>()) < kTolerance, Label("x - mean(x, 1)"));
  }

  // exp(dot(a, b)) * 0.5: the product is a GEMM stage into a temporary.
  void GemmInsideTree() {
    constexpr int64_t k = 23;
    std::vector<float> a = Draw(engine_, kRows * k);
    std::vector<float> b = Draw(engine_, k * kCols);
    Tensor ta = array(backend_, a, {kRows, k});
    Tensor tb = array(backend_, b, {k, kCols});
    Tensor out = empty(backend_, {kRows, kCols});
    out.assign(exp(dot(ta, tb) * 0.25) * 0.5);
    std::vector<double> expected(kRows * kCols);
    for (int64_t i = 0; i < kRows; ++i) {
      for (int64_t j = 0; j < kCols; ++j) {
        double total = 0.0;
        for (int64_t p = 0; p < k; ++p) total += static_cast<double>(a[i * k + p]) * b[p * kCols + j];
        expected[i * kCols + j] = std::exp(total * 0.25) * 0.5;
      }
    }
    failures_.Check(MaxError(expected, out.get<float>()) < kTolerance, Label("exp(dot(a, b) / 4) / 2"));
  }

  // d/dx sum(sig(x) * w) = sig(x) (1 - sig(x)) w.
  void Gradient() {
    std::vector<float> x = Draw(engine_, kRows * kCols);
    std::vector<float> w = Draw(engine_, kRows * kCols);
    Tensor tx = array(backend_, x, {kRows, kCols});
    Tensor tw = array(backend_, w, {kRows, kCols});
    Autodiff autodiff(sum(sig(tx) * tw), backend_);
    std::vector<float> grad = autodiff.get_grad_host(tx);
    std::vector<double> expected(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      double s = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
      expected[i] = s * (1.0 - s) * w[i];
    }
    failures_.Check(MaxError(expected, grad) < kTolerance, Label("autodiff of sum(sig(x) * w)"));
  }

  void Random(std::vector<float>& draws) {
    Tensor out = empty(backend_, {kRows, kCols});
    out.assign(rand());
    std::vector<float> values = out.get<float>();
    bool in_range = std::all_of(values.begin(), values.end(), [](float v) { return v >= 0.0f && v < 1.0f; });
    failures_.Check(in_range, Label("rand() in [0, 1)"));
    draws.insert(draws.end(), values.begin(), values.end());
  }

  Backend& backend_;
  int id_;
  Failures& failures_;
  std::mt19937 engine_;
};

TEST(ConcurrencyTest, ThreadsSharingOneBackendGetCorrectResults) {
  std::unique_ptr<Backend> backend = CreateBackend(BackendUnderTest());
  SetSeed(*backend, 77);
  Failures failures;
  std::vector<std::vector<float>> draws(kThreads);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int id = 0; id < kThreads; ++id) {
    threads.emplace_back([&, id] {
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();  // start together
      try {
        Worker(*backend, id, failures).Run(kIterations, draws[id]);
      } catch (const std::exception& error) {
        failures.Check(false, "thread " + std::to_string(id) + " threw: " + error.what());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.count(), 0) << "first failure: " << failures.first();

  // Together the threads drew each stream position exactly once: the same multiset as
  // one draw of all of them from the same seed.
  std::vector<float> all;
  for (const auto& part : draws) all.insert(all.end(), part.begin(), part.end());
  SetSeed(*backend, 77);
  Tensor stream = empty(*backend, {static_cast<int64_t>(all.size()), 1});
  stream.assign(rand());
  std::vector<float> expected = stream.get<float>();
  std::sort(all.begin(), all.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_TRUE(all == expected) << "threads drew overlapping or missing stream positions";
}

// Many threads compiling the same new structures at once.
TEST(ConcurrencyTest, ThreadsCompilingTheSameTreesAtOnce) {
  std::unique_ptr<Backend> backend = CreateBackend(BackendUnderTest());
  Failures failures;
  std::vector<std::thread> threads;
  for (int id = 0; id < kThreads; ++id) {
    threads.emplace_back([&, id] {
      try {
        for (int power = 1; power <= 6; ++power) {
          Tensor x = full(*backend, {3, 5}, 1.0 + id);
          Tensor out = empty(*backend, {3, 1});
          Expr term = x;
          for (int p = 1; p < power; ++p) term = term * x;
          out.assign(sum(term, 1) + power);
          double expected = 5.0 * std::pow(1.0 + id, power) + power;
          for (float value : out.get<float>()) {
            failures.Check(std::abs(value - expected) <= 1e-5 * expected,
                           "sum(x^" + std::to_string(power) + ") in thread " + std::to_string(id));
          }
        }
      } catch (const std::exception& error) {
        failures.Check(false, "thread " + std::to_string(id) + " threw: " + error.what());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.count(), 0) << "first failure: " << failures.first();
}

}  // namespace
}  // namespace neon
