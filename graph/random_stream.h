// The Philox4x32-10 stream of each backend, kept by the runtime rather than by
// the backend (the porting surface is stateless). Thread-safe: draws from
// several threads get disjoint, gap-free ranges of stream positions.
#pragma once

#include <cstdint>

#include "backends/backend.h"

namespace neon {

// A run of stream positions reserved for one draw.
struct RandomRange {
  uint64_t seed = 0;
  uint64_t first = 0;  // position of the first value
};

// Restart `backend`'s stream at position 0: the same seed gives the same numbers on every
// backend. A stream is keyed by the backend object; call this before draws that must be
// reproducible.
void SetSeed(const Backend& backend, uint64_t seed);
// The seed `backend`'s stream was last restarted with (0 if never).
uint64_t GetSeed(const Backend& backend);
// Reserves `count` consecutive positions of `backend`'s stream. ArgumentError past 2^53
// positions (they travel as exact doubles in kernel parameters).
RandomRange ReserveRandom(const Backend& backend, uint64_t count);

}  // namespace neon
