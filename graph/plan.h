// A compiled assignment: the stages (fused kernels and GEMMs) that compute an
// op-tree into its output, with temporaries. A plan refers to tensors, scalar
// values and sizes only through indices into a Binding, so one plan serves
// every assignment with the same structure (see graph/bind.h).
#pragma once

#include <variant>
#include <vector>

#include "core/kernel.h"

namespace neon {

// A 2-D view a stage reads or writes.
struct ViewRef {
  enum class Source : uint8_t { kLeaf, kTemp, kOutput };
  Source source = Source::kOutput;
  int index = 0;            // into Binding::leaves or Plan::temps
  bool transposed = false;  // read it transposed (strides swapped)
  bool operator==(const ViewRef&) const = default;
};

// Where a runtime size comes from.
struct ShapeRef {
  enum class Source : uint8_t { kOutput, kNode, kLeaf, kUnit };
  Source source = Source::kOutput;
  int index = 0;            // into Binding::nodes or Binding::leaves
  bool transposed = false;  // kLeaf read transposed
};

struct KernelStage {
  FusedKernel kernel;
  std::vector<ViewRef> inputs;   // one per kernel input slot
  std::vector<int> params;       // per kernel param: Binding::params index, -1 for rand slots
  std::vector<int> rand_slots;   // first param slot of each kRand
  ViewRef output;
  ShapeRef iteration;            // rows x cols the body runs over
};

struct GemmStage {
  ViewRef a, b, c;               // a, b have a unit stride on one axis; c is row-major
  DType dtype = DType::kFloat32;
  double alpha_scale = 1.0;      // alpha = alpha_scale * params[alpha_param] (or alone)
  int alpha_param = -1;
  bool accumulate = false;       // beta = beta_scale * params[beta_param] (or alone); else 0
  double beta_scale = 1.0;
  int beta_param = -1;
};

struct TempSpec {
  ShapeRef shape;
  DType dtype = DType::kFloat32;
};

struct Plan {
  std::vector<TempSpec> temps;
  std::vector<std::variant<KernelStage, GemmStage>> stages;
  std::string Describe() const;  // one line per stage, for debugging and tests
};

}  // namespace neon
