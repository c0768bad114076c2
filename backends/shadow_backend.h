// Shadow validation (--validate, NEON_VALIDATE=1): a backend wrapper that runs
// every stage the compiler launches (fused kernel, GEMM, random fill) on the
// device and on a `reference` shadow made from copies of the same inputs, and
// stops at the first stage whose result differs with a report naming the stage,
// its program, shapes, strides, dtypes, NMSE and the first differing element.
// A debugging mode: each stage costs a reference run plus copies of the buffers it touches.
#pragma once

#include <memory>

#include "backends/backend.h"

namespace neon {

// NMSE limits of a stage's result against the shadow (float64 differs only by summation order).
inline constexpr double kShadowFloat32Tolerance = 1e-7;
inline constexpr double kShadowFloat64Tolerance = 1e-20;

std::unique_ptr<Backend> MakeShadowValidatedBackend(std::unique_ptr<Backend> device);

}  // namespace neon
