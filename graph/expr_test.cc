#include "graph/expr.h"

#include <gtest/gtest.h>

#include "backends/reference/reference_backend.h"
#include "core/error.h"

namespace neon {
namespace {

class ExprTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> be_ = MakeReferenceBackend();
};

TEST_F(ExprTest, BroadcastingShapes) {
  Tensor a = empty(*be_, {3, 4}, DType::kFloat32, "a");
  Tensor row = empty(*be_, {1, 4});
  Tensor col = empty(*be_, {3, 1});
  EXPECT_EQ((a + row).shape(), (Shape{3, 4}));
  EXPECT_EQ((col * row).shape(), (Shape{3, 4}));
  EXPECT_EQ((a + 1).shape(), (Shape{3, 4}));
  EXPECT_EQ(exp(-1 * a).shape(), (Shape{3, 4}));
}

TEST_F(ExprTest, BroadcastErrorNamesOpAndShapes) {
  Tensor a = empty(*be_, {3, 4});
  Tensor b = empty(*be_, {2, 4});
  try {
    (void)(a * b);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& error) {
    EXPECT_STREQ(error.what(), "mul: shapes (3, 4) and (2, 4) do not broadcast (each axis must match or be 1)");
  }
}

TEST_F(ExprTest, ReductionsKeepTheAxis) {
  Tensor x = empty(*be_, {5, 7});
  EXPECT_EQ(sum(x, 0).shape(), (Shape{1, 7}));
  EXPECT_EQ(sum(x, 1).shape(), (Shape{5, 1}));
  EXPECT_EQ(sum(x).shape(), (Shape{1, 1}));
  EXPECT_EQ(argmax(x, 0).shape(), (Shape{1, 7}));
  EXPECT_EQ(var(x, 1).shape(), (Shape{5, 1}));
  EXPECT_THROW(sum(x, 2), ArgumentError);
}

TEST_F(ExprTest, DotAndTransposeShapes) {
  Tensor a = empty(*be_, {5, 7});
  Tensor b = empty(*be_, {7, 3});
  EXPECT_EQ(dot(a, b).shape(), (Shape{5, 3}));
  EXPECT_EQ(transpose(a).shape(), (Shape{7, 5}));
  EXPECT_EQ(dot(b.T(), a.T()).shape(), (Shape{3, 5}));
  try {
    (void)dot(a, a);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& error) {
    EXPECT_NE(std::string(error.what()).find("dot: shapes (5, 7) and (5, 7)"), std::string::npos);
  }
}

TEST_F(ExprTest, OnehotShapes) {
  Tensor labels = empty(*be_, {1, 8});
  EXPECT_EQ(onehot(labels, 10, 0).shape(), (Shape{10, 8}));
  EXPECT_EQ(onehot(labels.T(), 10, 1).shape(), (Shape{8, 10}));
  EXPECT_THROW(onehot(labels, 10, 1), ShapeError);
  EXPECT_THROW(onehot(labels, 0, 0), ArgumentError);
}

TEST_F(ExprTest, NDimensionalTensorsAreSeenAs2D) {
  Tensor conv = empty(*be_, {3, 4, 5, 8});  // (C, H, W, N)
  EXPECT_EQ(Expr(conv).shape(), (Shape{60, 8}));
}

TEST_F(ExprTest, ToStringIsReadable) {
  Tensor x = empty(*be_, {2, 2}, DType::kFloat32, "x");
  EXPECT_EQ((1 / (1 + exp(-1 * x))).ToString(), "div(1, add(1, exp(mul(-1, x(2, 2)))))");
  EXPECT_EQ(sum(x, 1).ToString(), "sum(x(2, 2), axis=1)");
}

TEST_F(ExprTest, NullTensorOperandIsAnError) {
  Tensor null;
  EXPECT_THROW(Expr{null}, ArgumentError);
}

}  // namespace
}  // namespace neon
