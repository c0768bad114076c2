// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3")
// and the mapping from a stream position to the value every backend must
// produce. Backends that cannot include this header (OpenCL C) implement the
// same functions and are tested bit for bit against these.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace neon::philox {

using Counter = std::array<uint32_t, 4>;
using Key = std::array<uint32_t, 2>;

inline constexpr uint32_t kMul0 = 0xD2511F53u;
inline constexpr uint32_t kMul1 = 0xCD9E8D57u;
inline constexpr uint32_t kWeyl0 = 0x9E3779B9u;
inline constexpr uint32_t kWeyl1 = 0xBB67AE85u;

constexpr Counter Round(Counter c, Key k) {
  uint64_t p0 = uint64_t{kMul0} * c[0];
  uint64_t p1 = uint64_t{kMul1} * c[2];
  return {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
          static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
}

// Ten rounds of Philox4x32 on counter c with key k.
constexpr Counter Philox4x32(Counter c, Key k) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k[0] += kWeyl0;
      k[1] += kWeyl1;
    }
    c = Round(c, k);
  }
  return c;
}

constexpr Key KeyOf(uint64_t seed) {
  return {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
}

// The 32 random bits at stream position `position`: word position % 4 of
// block position / 4.
constexpr uint32_t Bits(uint64_t seed, uint64_t position) {
  uint64_t block = position / 4;
  Counter c = {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0, 0};
  return Philox4x32(c, KeyOf(seed))[position % 4];
}

// Uniform in [0, 1): the top 24 bits, exact in float32 and float64.
constexpr double Uniform(uint32_t bits) {
  return static_cast<double>(bits >> 8) * (1.0 / 16777216.0);
}

// Standard normal at `position`: Box-Muller (cosine branch) in float64 on
// words 2 * (position % 2) and the next of block position / 2.
inline double Normal(uint64_t seed, uint64_t position) {
  uint64_t block = position / 2;
  Counter c = {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0, 0};
  Counter words = Philox4x32(c, KeyOf(seed));
  int first = static_cast<int>(position % 2) * 2;
  double u1 = (static_cast<double>(words[first]) + 1.0) * (1.0 / 4294967296.0);  // (0, 1]
  double u2 = static_cast<double>(words[first + 1]) * (1.0 / 4294967296.0);      // [0, 1)
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

// Bernoulli(p) at `position`: 1 when the 24-bit uniform is below p.
constexpr double Bernoulli(uint32_t bits, double p) { return Uniform(bits) < p ? 1.0 : 0.0; }

}  // namespace neon::philox
