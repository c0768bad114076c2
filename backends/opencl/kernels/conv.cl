// Convolution as GEMM: im2col / col2im for neon's layouts (activations
// (C, H, W, N) batch innermost, filters (K, C, R, S)). The column matrix has a
// row per (c, r, s) and a column per output position j = (p * Q + q) * N + n;
// the backend builds it a chunk of columns [col_begin, col_begin + cols) at a
// time so its workspace stays bounded. The includer defines REAL.

// The geometry of graph/conv_args.h, in the order the host sets it.
#define NEON_CONV_GEOMETRY                                                            \
  const int C, const int H, const int W, const int N, const int R, const int S,      \
      const int P, const int Q, const int stride_h, const int stride_w, const int pad_h, \
      const int pad_w, const int dilation_h, const int dilation_w

// Columns come in whole batches (col_begin and cols are multiples of N): one
// item copies the N contiguous values of one (row, output position), so the
// index arithmetic is paid once per batch and the copy runs at memory speed.
// Sizes fit in int (checked on the host); products that may not are long.

// col[row, j - col_begin] = src[c, h, w, n] (0 in the padding), j = (p * Q + q) * N + n.
// Global range: (cols / N, C * R * S) rounded up; extra items return.
__kernel void neon_im2col(__global const REAL* src, const long src_off, __global REAL* col,
                          const long col_begin, const long cols, NEON_CONV_GEOMETRY) {
  const int pq_in_chunk = get_global_id(0), row = get_global_id(1);
  if (pq_in_chunk >= cols / N || row >= C * R * S) return;
  const int pq = (int)(col_begin / N) + pq_in_chunk;
  const int p = pq / Q, q = pq % Q;
  const int c = row / (R * S), r = row / S % R, s = row % S;
  const int h = p * stride_h - pad_h + r * dilation_h, w = q * stride_w - pad_w + s * dilation_w;
  __global REAL* out = col + (long)row * cols + (long)pq_in_chunk * N;
  if (h < 0 || h >= H || w < 0 || w >= W) {
    for (int n = 0; n < N; ++n) out[n] = 0;
    return;
  }
  __global const REAL* in = src + src_off + (((long)c * H + h) * W + w) * N;
  for (int n = 0; n < N; ++n) out[n] = in[n];
}

// src[c, h, w, :] += the column entries of this chunk that im2col read from it
// (a gather: one item per (c, h, w), so no two items write the same place).
// Global range: (W, C * h_count) rounded up, rows h_begin .. h_begin + h_count - 1.
__kernel void neon_col2im(__global const REAL* col, const long col_begin, const long cols,
                          __global REAL* src, const long src_off, const int h_begin,
                          const int h_count, NEON_CONV_GEOMETRY) {
  const int w = get_global_id(0), row = get_global_id(1);
  if (w >= W || row >= C * h_count) return;
  const int c = row / h_count, h = h_begin + row % h_count;
  const int pq_begin = (int)(col_begin / N), pq_end = pq_begin + (int)(cols / N);
  __global REAL* out = src + src_off + (((long)c * H + h) * W + w) * N;
  for (int r = 0; r < R; ++r) {
    const int ph = h + pad_h - r * dilation_h;   // p * stride_h when (h, r) is used by output row p
    if (ph < 0 || ph % stride_h != 0 || ph / stride_h >= P) continue;
    for (int s = 0; s < S; ++s) {
      const int qw = w + pad_w - s * dilation_w;
      if (qw < 0 || qw % stride_w != 0 || qw / stride_w >= Q) continue;
      const int pq = ph / stride_h * Q + qw / stride_w;
      if (pq < pq_begin || pq >= pq_end) continue;
      __global const REAL* in = col + (((long)c * R + r) * S + s) * cols + (long)(pq - pq_begin) * N;
      for (int n = 0; n < N; ++n) out[n] += in[n];
    }
  }
}
