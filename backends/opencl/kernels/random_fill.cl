// Random fills and the strided scatter used by fill_random. The includer
// defines DST_T (the stored type), REAL (the compute type, float or double),
// NEON_FN, NEON_STORE(x) (conversion REAL -> DST_T), after philox.cl and
// scalar_ops.cl. Global range: (cols, rows) rounded up; extra items return.

// dst[i, j] = a + (b - a) u in REAL, u from stream position offset + i * cols + j.
__kernel void neon_fill_uniform(const long rows, const long cols, __global DST_T* dst,
                                const long dst_off, const long dst_rs, const long dst_cs,
                                const ulong seed, const ulong counter_offset,
                                const REAL a, const REAL b) {
  const long j = get_global_id(0), i = get_global_id(1);
  if (i >= rows || j >= cols) return;
  const uint bits = neon_philox_bits(seed, counter_offset + (ulong)(i * cols + j));
  const REAL v = a + (b - a) * NEON_FN(neon_uniform)(bits);
  dst[dst_off + i * dst_rs + j * dst_cs] = NEON_STORE(v);
}

// dst[i, j] = 1 when the 24-bit uniform is below p, i.e. (bits >> 8) < threshold
// with threshold = ceil(p * 2^24) clamped to [0, 2^24] (computed on the host).
__kernel void neon_fill_bernoulli(const long rows, const long cols, __global DST_T* dst,
                                  const long dst_off, const long dst_rs, const long dst_cs,
                                  const ulong seed, const ulong counter_offset,
                                  const uint threshold) {
  const long j = get_global_id(0), i = get_global_id(1);
  if (i >= rows || j >= cols) return;
  const uint bits = neon_philox_bits(seed, counter_offset + (ulong)(i * cols + j));
  dst[dst_off + i * dst_rs + j * dst_cs] = (bits >> 8) < threshold ? (DST_T)1 : (DST_T)0;
}

// dst[i, j] = src[i * cols + j]: places host-generated values into a strided view.
__kernel void neon_scatter(const long rows, const long cols, __global const DST_T* src,
                           __global DST_T* dst, const long dst_off, const long dst_rs,
                           const long dst_cs) {
  const long j = get_global_id(0), i = get_global_id(1);
  if (i >= rows || j >= cols) return;
  dst[dst_off + i * dst_rs + j * dst_cs] = src[i * cols + j];
}
