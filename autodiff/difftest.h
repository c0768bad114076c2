// The differential random-tree tester: a random op-tree's values and gradients on a
// backend against `reference`, and on a mismatch the smallest tree that still differs.
#pragma once

#include <string>

#include "autodiff/random_op_tree.h"
#include "backends/backend.h"

namespace neon {

struct TreeDifference {
  bool differs = false;
  bool skipped = false;            // reference rejected the tree or the device lacks float64
  bool gradients_compared = false;
  std::string message;             // what differed, or why skipped
};

// Values (NMSE 1e-7 for float32, 1e-12 for float64, non-finite values by position) and,
// when HasComparableGradients, the gradient of every leaf tensor.
TreeDifference CompareTree(const RandomTree& tree, Backend& reference, Backend& device);

}  // namespace neon
