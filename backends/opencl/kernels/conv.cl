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

// col[row, j - col_begin] = src[c, h, w, n] (0 in the padding).
// Global range: (cols, C * R * S) rounded up; extra items return.
__kernel void neon_im2col(__global const REAL* src, const long src_off, __global REAL* col,
                          const long col_begin, const long cols, NEON_CONV_GEOMETRY) {
  const long j = get_global_id(0), row = get_global_id(1);
  if (j >= cols || row >= (long)C * R * S) return;
  const long position = col_begin + j;
  const int n = (int)(position % N), pq = (int)(position / N);
  const int p = pq / Q, q = pq % Q;
  const int c = (int)(row / (R * S)), rs = (int)(row % (R * S));
  const int h = p * stride_h - pad_h + (rs / S) * dilation_h;
  const int w = q * stride_w - pad_w + (rs % S) * dilation_w;
  const bool inside = h >= 0 && h < H && w >= 0 && w < W;
  col[row * cols + j] = inside ? src[src_off + (((long)c * H + h) * W + w) * N + n] : (REAL)0;
}

// src[c, h, w, n] += the column entries of this chunk that im2col read from it
// (a gather: one item per src element, so no two items write the same place).
// Global range: (W * N, C * h_count) rounded up, rows h_begin .. h_begin + h_count - 1.
__kernel void neon_col2im(__global const REAL* col, const long col_begin, const long cols,
                          __global REAL* src, const long src_off, const int h_begin,
                          const int h_count, NEON_CONV_GEOMETRY) {
  const long wn = get_global_id(0), row = get_global_id(1);
  if (wn >= (long)W * N || row >= (long)C * h_count) return;
  const int c = (int)(row / h_count), h = h_begin + (int)(row % h_count);
  const int w = (int)(wn / N), n = (int)(wn % N);
  REAL total = 0;
  for (int r = 0; r < R; ++r) {
    const int ph = h + pad_h - r * dilation_h;   // p * stride_h when (h, r) is used by output row p
    if (ph < 0 || ph % stride_h != 0 || ph / stride_h >= P) continue;
    for (int s = 0; s < S; ++s) {
      const int qw = w + pad_w - s * dilation_w;
      if (qw < 0 || qw % stride_w != 0 || qw / stride_w >= Q) continue;
      const long j = ((long)(ph / stride_h) * Q + qw / stride_w) * N + n - col_begin;
      if (j < 0 || j >= cols) continue;
      total += col[(((long)c * R + r) * S + s) * cols + j];
    }
  }
  src[src_off + (((long)c * H + h) * W + w) * N + n] += total;
}
