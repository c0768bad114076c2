// Max and average pooling in neon's layout (C, H, W, N), batch innermost, as
// graph/conv_args.h specifies: max keeps the first largest element and its
// index h * W + w (-1 for a window of padding only); avg divides by the number
// of window elements inside the input. The includer defines REAL.
// Forward: one item per output (global range (N, C * P * Q) rounded up);
// backward: one item per input element (global (N, C * H * W)), gathering from
// the windows that contain it, so no two items write the same place. Every
// tensor has fewer than 2^31 elements (host_ops::CheckPool), so indices fit in int.

#define NEON_POOL_GEOMETRY                                                              \
  const int C, const int H, const int W, const int N, const int R, const int S,        \
      const int P, const int Q, const int stride_h, const int stride_w, const int pad_h, \
      const int pad_w

__kernel void neon_max_pool_fprop(__global const REAL* src, const long src_off, __global REAL* dst,
                                  const long dst_off, __global int* argmax, const long argmax_off,
                                  NEON_POOL_GEOMETRY) {
  const int n = get_global_id(0), cpq = get_global_id(1);
  if (n >= N || cpq >= C * P * Q) return;
  const int c = cpq / (P * Q), p = cpq / Q % P, q = cpq % Q;
  REAL best = 0;
  int chosen = -1;
  for (int r = 0; r < R; ++r) {
    const int h = p * stride_h - pad_h + r;
    if (h < 0 || h >= H) continue;
    for (int s = 0; s < S; ++s) {
      const int w = q * stride_w - pad_w + s;
      if (w < 0 || w >= W) continue;
      const REAL value = src[src_off + (((long)c * H + h) * W + w) * N + n];
      if (chosen < 0 || value > best) {   // the first largest wins ties, as the reference
        best = value;
        chosen = h * W + w;
      }
    }
  }
  dst[dst_off + (long)cpq * N + n] = best;
  argmax[argmax_off + (long)cpq * N + n] = chosen;
}

// The number of window elements inside the input for output (p, q).
int neon_pool_count(const int p, const int q, NEON_POOL_GEOMETRY) {
  const int h0 = max(p * stride_h - pad_h, 0), h1 = min(p * stride_h - pad_h + R, H);
  const int w0 = max(q * stride_w - pad_w, 0), w1 = min(q * stride_w - pad_w + S, W);
  return max(h1 - h0, 0) * max(w1 - w0, 0);
}

__kernel void neon_avg_pool_fprop(__global const REAL* src, const long src_off, __global REAL* dst,
                                  const long dst_off, NEON_POOL_GEOMETRY) {
  const int n = get_global_id(0), cpq = get_global_id(1);
  if (n >= N || cpq >= C * P * Q) return;
  const int c = cpq / (P * Q), p = cpq / Q % P, q = cpq % Q;
  REAL total = 0;
  for (int h = max(p * stride_h - pad_h, 0); h < min(p * stride_h - pad_h + R, H); ++h) {
    for (int w = max(q * stride_w - pad_w, 0); w < min(q * stride_w - pad_w + S, W); ++w) {
      total += src[src_off + (((long)c * H + h) * W + w) * N + n];
    }
  }
  const int count = neon_pool_count(p, q, C, H, W, N, R, S, P, Q, stride_h, stride_w, pad_h, pad_w);
  dst[dst_off + (long)cpq * N + n] = count == 0 ? (REAL)0 : total / (REAL)count;
}

// The outputs whose windows contain input row h: p in [*first, *last] (empty when first > last).
void neon_pool_windows(const int h, const int pad, const int size, const int stride, const int outputs,
                       int* first, int* last) {
  const int low = h + pad - size + 1;   // p * stride >= low
  *first = low <= 0 ? 0 : (low + stride - 1) / stride;
  *last = min((h + pad) / stride, outputs - 1);
}

// src = gradient wrt src; an argmax outside the input matches no element.
__kernel void neon_max_pool_bprop(__global const REAL* dst, const long dst_off, __global const int* argmax,
                                  const long argmax_off, __global REAL* src, const long src_off,
                                  NEON_POOL_GEOMETRY) {
  const int n = get_global_id(0), chw = get_global_id(1);
  if (n >= N || chw >= C * H * W) return;
  const int c = chw / (H * W), h = chw / W % H, w = chw % W;
  int p0, p1, q0, q1;
  neon_pool_windows(h, pad_h, R, stride_h, P, &p0, &p1);
  neon_pool_windows(w, pad_w, S, stride_w, Q, &q0, &q1);
  REAL total = 0;
  for (int p = p0; p <= p1; ++p) {
    for (int q = q0; q <= q1; ++q) {
      const long out = (((long)c * P + p) * Q + q) * N + n;
      if (argmax[argmax_off + out] == h * W + w) total += dst[dst_off + out];
    }
  }
  src[src_off + (long)chw * N + n] = total;
}

__kernel void neon_avg_pool_bprop(__global const REAL* dst, const long dst_off, __global REAL* src,
                                  const long src_off, NEON_POOL_GEOMETRY) {
  const int n = get_global_id(0), chw = get_global_id(1);
  if (n >= N || chw >= C * H * W) return;
  const int c = chw / (H * W), h = chw / W % H, w = chw % W;
  int p0, p1, q0, q1;
  neon_pool_windows(h, pad_h, R, stride_h, P, &p0, &p1);
  neon_pool_windows(w, pad_w, S, stride_w, Q, &q0, &q1);
  REAL total = 0;
  for (int p = p0; p <= p1; ++p) {
    for (int q = q0; q <= q1; ++q) {
      const int count = neon_pool_count(p, q, C, H, W, N, R, S, P, Q, stride_h, stride_w, pad_h, pad_w);
      total += dst[dst_off + (((long)c * P + p) * Q + q) * N + n] / (REAL)count;
    }
  }
  src[src_off + (long)chw * N + n] = total;
}
