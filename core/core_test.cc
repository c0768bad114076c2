#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/kernel.h"
#include "core/lru_map.h"
#include "core/op_table.h"
#include "core/philox.h"
#include "core/scalar_ops.h"

namespace neon {
namespace {

TEST(OpTable, NamesAndArity) {
  EXPECT_EQ(OpName(OpKind::kAdd), "add");
  EXPECT_EQ(Info(OpKind::kDot).arity, 2);
  EXPECT_EQ(ClassOf(OpKind::kSum), OpClass::kReduction);
  EXPECT_TRUE(IsElementwise(OpKind::kSig));
  EXPECT_FALSE(IsElementwise(OpKind::kDot));
}

// Known-answer tests from the Random123 distribution (kat_vectors, philox4x32 R=10).
TEST(Philox, KnownAnswers) {
  philox::Counter zero = philox::Philox4x32({0, 0, 0, 0}, {0, 0});
  EXPECT_EQ(zero, (philox::Counter{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  philox::Counter ones = philox::Philox4x32({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                                            {0xffffffffu, 0xffffffffu});
  EXPECT_EQ(ones, (philox::Counter{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
  philox::Counter pi = philox::Philox4x32({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                                          {0xa4093822u, 0x299f31d0u});
  EXPECT_EQ(pi, (philox::Counter{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
}

TEST(Philox, UniformIsInUnitInterval) {
  EXPECT_EQ(philox::Uniform(0), 0.0);
  EXPECT_LT(philox::Uniform(0xffffffffu), 1.0);
}

TEST(ScalarOps, EdgeCases) {
  EXPECT_EQ(ApplyUnary(OpKind::kSafelog, 0.0), -50.0);
  EXPECT_TRUE(std::isnan(ApplyBinary(OpKind::kMaximum, NAN, 1.0)));
  EXPECT_EQ(ApplyUnary(OpKind::kRint, 2.5), 2.0);
  EXPECT_EQ(ApplyBinary(OpKind::kShift, 3.0, 2.0), 12.0);
  EXPECT_EQ(ToInt32(NAN), 0);
  EXPECT_EQ(ToInt32(-2.7), -2);
  EXPECT_THROW(ApplyUnary(OpKind::kAdd, 1.0), ArgumentError);
}

TEST(FusedKernel, KeyDistinguishesPrograms) {
  FusedKernel a;
  a.input_dtypes = {DType::kFloat32};
  a.body = {{OpKind::kTensor, -1, -1, 0}, {OpKind::kExp, 0}};
  FusedKernel b = a;
  b.body[1].op = OpKind::kLog;
  EXPECT_NE(a.Key(), b.Key());
  EXPECT_EQ(a.Key(), FusedKernel(a).Key());
}

TEST(LruMap, EvictsTheLeastRecentlyUsedEntry) {
  LruMap<std::string, int> map(3);
  map.Insert("a", 1);
  map.Insert("b", 2);
  map.Insert("c", 3);
  ASSERT_NE(map.Find("a"), nullptr);  // "b" is now the least recently used
  map.Insert("d", 4);
  EXPECT_EQ(map.size(), 3u);
  EXPECT_EQ(map.evictions(), 1u);
  EXPECT_EQ(map.Find("b"), nullptr);
  EXPECT_EQ(*map.Find("a"), 1);
  map.Insert("c", 30);  // replacing is not growing
  EXPECT_EQ(map.size(), 3u);
  EXPECT_EQ(*map.Find("c"), 30);
  EXPECT_EQ(*map.Find("d"), 4);
  map.clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.Find("a"), nullptr);
}

}  // namespace
}  // namespace neon
