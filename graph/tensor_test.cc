#include "graph/tensor.h"

#include <gtest/gtest.h>

#include "backends/reference/reference_backend.h"
#include "core/error.h"
#include "graph/expr.h"

namespace neon {
namespace {

class TensorTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> be_ = MakeReferenceBackend();
  Tensor Iota(Shape shape) {
    Tensor t = empty(*be_, shape, DType::kFloat32, "t");
    std::vector<float> values(static_cast<size_t>(t.size()));
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
    return t.set(values);
  }
};

TEST_F(TensorTest, CopyAliasesStorage) {
  Tensor a = zeros(*be_, {2, 3});
  Tensor b = a;  // a handle, like a Python reference
  b.fill(7);
  EXPECT_EQ(a.get<float>(), std::vector<float>(6, 7.0f));
}

TEST_F(TensorTest, SetAndGetRoundTrip) {
  Tensor t = Iota({2, 3});
  EXPECT_EQ(t.get<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(t.get<double>(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_THROW(t.set(std::vector<float>{1, 2}), ShapeError);
}

TEST_F(TensorTest, TransposeView) {
  Tensor t = Iota({2, 3});
  Tensor tt = t.T();
  EXPECT_EQ(tt.shape(), (Shape{3, 2}));
  EXPECT_FALSE(tt.is_contiguous());
  EXPECT_EQ(tt.get<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  tt.fill(1);  // writes through the view
  EXPECT_EQ(t.get<float>(), std::vector<float>(6, 1.0f));
}

TEST_F(TensorTest, RowAndColumnSlices) {
  Tensor t = Iota({3, 4});
  EXPECT_EQ(t.rows(1, 3).get<float>(), (std::vector<float>{4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(t.cols(1, 3).get<float>(), (std::vector<float>{1, 2, 5, 6, 9, 10}));
  t.cols(3, 4).fill(-1);
  EXPECT_EQ(t.get<float>(), (std::vector<float>{0, 1, 2, -1, 4, 5, 6, -1, 8, 9, 10, -1}));
  EXPECT_THROW(t.rows(2, 5), ShapeError);
  EXPECT_THROW(t.cols(3, 2), ShapeError);
}

TEST_F(TensorTest, Reshape) {
  Tensor t = Iota({2, 6});
  Tensor r = t.reshape({3, -1});
  EXPECT_EQ(r.shape(), (Shape{3, 4}));
  EXPECT_EQ(r.get<float>(), t.get<float>());
  EXPECT_THROW(t.reshape({5, 2}), ShapeError);
  EXPECT_THROW(t.T().reshape({12, 1}), ShapeError);  // not contiguous
  EXPECT_THROW(t.reshape({12}), ShapeError);          // neon tensors are at least 2-D
}

TEST_F(TensorTest, SetThroughNonContiguousView) {
  Tensor t = zeros(*be_, {2, 3});
  t.T().set(std::vector<float>{1, 2, 3, 4, 5, 6});
  EXPECT_EQ(t.get<float>(), (std::vector<float>{1, 3, 5, 2, 4, 6}));
}

TEST_F(TensorTest, DtypesConvertOnAssign) {
  Tensor f = array(*be_, std::vector<float>{1.7f, -2.7f, 3.5f, 1e10f}, {2, 2});
  Tensor i = empty(*be_, {2, 2}, DType::kInt32);
  i.assign(f);
  EXPECT_EQ(i.get<int32_t>(), (std::vector<int32_t>{1, -2, 3, 2147483647}));
  Tensor d = empty(*be_, {2, 2}, DType::kFloat64);
  d.assign(i * 0.5);
  EXPECT_EQ(d.get<double>(), (std::vector<double>{0.5, -1.0, 1.5, 1073741823.5}));
}

TEST_F(TensorTest, AssignChecksShapes) {
  Tensor t = zeros(*be_, {3, 4}, DType::kFloat32, "out");
  Tensor wrong = zeros(*be_, {4, 3});
  try {
    t.assign(wrong + 1);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& error) {
    EXPECT_STREQ(error.what(),
                 "assign: a value of shape (4, 3) does not fit tensor 'out' of shape (3, 4) (seen as (3, 4); "
                 "each axis must match or be 1)");
  }
  EXPECT_EQ(t.get<float>(), std::vector<float>(12, 0.0f));  // untouched
}

TEST_F(TensorTest, OperandsFromAnotherBackendAreRejected) {
  std::unique_ptr<Backend> other = MakeReferenceBackend();
  Tensor a = zeros(*be_, {2, 2});
  Tensor b = zeros(*other, {2, 2});
  EXPECT_THROW(a.assign(b + 1), BackendError);
}

TEST_F(TensorTest, NullTensor) {
  Tensor null;
  EXPECT_FALSE(null.defined());
  EXPECT_THROW(null.backend(), ArgumentError);
  EXPECT_THROW(null.assign(1.0), ArgumentError);
}

TEST_F(TensorTest, EveryAccessorOfANullTensorIsAnArgumentError) {
  const Tensor null;  // NullTensor above covers backend() and assign()
  EXPECT_THROW(null.shape(), ArgumentError);
  EXPECT_THROW(null.strides(), ArgumentError);
  EXPECT_THROW(null.offset(), ArgumentError);
  EXPECT_THROW(null.dtype(), ArgumentError);
  EXPECT_THROW(null.name(), ArgumentError);
  EXPECT_THROW(null.size(), ArgumentError);
  EXPECT_THROW(null.ndim(), ArgumentError);
  EXPECT_THROW(null.is_contiguous(), ArgumentError);
  EXPECT_THROW(null.buffer(), ArgumentError);
  EXPECT_THROW(null.named("x"), ArgumentError);
  EXPECT_THROW(null.reshape({1, 1}), ArgumentError);
  EXPECT_THROW(null.T(), ArgumentError);
  EXPECT_THROW(null.rows(0, 0), ArgumentError);
  EXPECT_THROW(null.cols(0, 0), ArgumentError);
  EXPECT_THROW(null.rows2d(), ArgumentError);
  EXPECT_THROW(null.cols2d(), ArgumentError);
  EXPECT_THROW(null.row_stride2d(), ArgumentError);
  EXPECT_THROW(null.col_stride2d(), ArgumentError);
  EXPECT_THROW(null.get<float>(), ArgumentError);
  Tensor target;
  EXPECT_THROW(target.fill(1), ArgumentError);
  EXPECT_THROW(target.set(std::vector<float>{}), ArgumentError);
}

TEST_F(TensorTest, TwoBackendsOfOneKindAreToldApartInMessages) {
  std::unique_ptr<Backend> other = MakeReferenceBackend();
  EXPECT_NE(be_->instance_name(), other->instance_name());
  EXPECT_EQ(other->instance_name().rfind("reference#", 0), 0u) << other->instance_name();
  Tensor x = zeros(*be_, {2, 2}, DType::kFloat32, "x");
  Tensor out = empty(*other, {2, 2}, DType::kFloat32, "out");
  try {
    out.assign(x + 1);
    FAIL() << "expected BackendError";
  } catch (const BackendError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'" + be_->instance_name() + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("'" + other->instance_name() + "'"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace neon
