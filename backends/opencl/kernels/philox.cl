// Philox4x32-10 and the stream-position mapping of core/philox.h, in OpenCL C.
// Integer-only, so the bits are identical on every device.

#define NEON_PHILOX_M0 0xD2511F53u
#define NEON_PHILOX_M1 0xCD9E8D57u
#define NEON_PHILOX_W0 0x9E3779B9u
#define NEON_PHILOX_W1 0xBB67AE85u

inline uint4 neon_philox4x32_10(uint4 c, uint2 k) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k.x += NEON_PHILOX_W0;
      k.y += NEON_PHILOX_W1;
    }
    const uint hi0 = mul_hi(NEON_PHILOX_M0, c.x);
    const uint lo0 = NEON_PHILOX_M0 * c.x;
    const uint hi1 = mul_hi(NEON_PHILOX_M1, c.z);
    const uint lo1 = NEON_PHILOX_M1 * c.z;
    c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
  }
  return c;
}

// The 32 random bits at stream `position`: word position % 4 of block position / 4.
inline uint neon_philox_bits(ulong seed, ulong position) {
  const ulong block = position / 4;
  const uint4 c = (uint4)((uint)block, (uint)(block >> 32), 0u, 0u);
  const uint4 words = neon_philox4x32_10(c, (uint2)((uint)seed, (uint)(seed >> 32)));
  switch ((int)(position % 4)) {
    case 0: return words.x;
    case 1: return words.y;
    case 2: return words.z;
    default: return words.w;
  }
}
