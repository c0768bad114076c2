// Generated trees of any depth must not crash: destruction is iterative at any
// depth; assignment refuses trees deeper than kMaxTreeDepth with a clear error
// and computes trees up to that depth, also on a thread's default stack.
#include <gtest/gtest.h>

#include <thread>

#include "backends/reference/reference_backend.h"
#include "core/error.h"
#include "graph/expr.h"

namespace neon {
namespace {

// x + 1 + 1 + ... with `levels` additions: depth levels + 1.
Expr AddChain(const Tensor& x, int levels) {
  Expr chain = x;
  for (int i = 0; i < levels; ++i) chain = chain + 1.0;
  return chain;
}

TEST(DeepTreeTest, AMillionNodeChainIsDestroyedWithoutRecursion) {
  ReferenceBackend be;
  Tensor x = zeros(be, {1, 1});
  {
    Expr chain = x;
    for (int i = 0; i < 1000000; ++i) chain = -chain;
    EXPECT_EQ(chain.depth(), 1000001);
  }  // destroyed here: a recursive destructor overflows the stack
  SUCCEED();
}

TEST(DeepTreeTest, SharedSubtreesSurviveTheDestructionOfOneOwner) {
  ReferenceBackend be;
  Tensor x = full(be, {1, 2}, 3.0);
  Expr shared = AddChain(x, 100);
  { Expr owner = shared * 2.0; }
  Tensor out = empty(be, {1, 2});
  out.assign(shared);
  EXPECT_EQ(out.get<float>(), (std::vector<float>{103.0f, 103.0f}));
}

TEST(DeepTreeTest, TooDeepATreeIsAnArgumentError) {
  ReferenceBackend be;
  Tensor x = zeros(be, {2, 2});
  Tensor out = empty(be, {2, 2});
  Expr chain = AddChain(x, 30000);
  try {
    out.assign(chain);
    FAIL() << "expected ArgumentError";
  } catch (const ArgumentError& error) {
    EXPECT_NE(std::string(error.what()).find("30001 levels deep; at most 1024"), std::string::npos) << error.what();
  }
}

TEST(DeepTreeTest, ATreeAtTheLimitRunsOnAThreadsDefaultStack) {
  ReferenceBackend be;
  Tensor x = array(be, std::vector<float>{0.5f, -2.25f}, {1, 2});
  Tensor out = empty(be, {1, 2});
  Expr chain = AddChain(x, kMaxTreeDepth - 1);
  ASSERT_EQ(chain.depth(), kMaxTreeDepth);
  std::thread worker([&] { out.assign(chain); });
  worker.join();
  // Whole numbers and quarters stay exact in float32 at this size.
  EXPECT_EQ(out.get<float>(), (std::vector<float>{0.5f + (kMaxTreeDepth - 1), -2.25f + (kMaxTreeDepth - 1)}));
}

TEST(DeepTreeTest, ToStringOfADeepTreeIsShort) {
  ReferenceBackend be;
  Tensor x = zeros(be, {1, 1}, DType::kFloat32, "x");
  std::string text = AddChain(x, 100000).ToString();
  EXPECT_LT(text.size(), 1000u);
  EXPECT_NE(text.find("..."), std::string::npos);
}

}  // namespace
}  // namespace neon
