// The elementwise ops of core/scalar_ops.h for one real type. Instantiated
// once per type: the includer defines REAL (float or double), NEON_FN(name)
// (a type suffix) and NEON_REAL_IS_DOUBLE.

#if NEON_REAL_IS_DOUBLE
#define NEON_LN2 M_LN2
// Smallest double above exp(-50): safelog's threshold (x > exp(-50)).
#define NEON_SAFELOG_MIN 1.9287498479639178e-22
#define NEON_SAFELOG_STRICT 1
#else
#define NEON_LN2 M_LN2_F
// Smallest float above exp(-50), so `x >= this` equals `x > exp(-50)` exactly.
#define NEON_SAFELOG_MIN 1.92874989e-22f
#define NEON_SAFELOG_STRICT 0
#endif

inline REAL NEON_FN(neon_finite)(REAL x) { return isfinite(x) ? (REAL)1 : (REAL)0; }
inline REAL NEON_FN(neon_sgn)(REAL x) { return isnan(x) ? x : (REAL)((x > 0) - (x < 0)); }
inline REAL NEON_FN(neon_sig)(REAL x) { return (REAL)1 / ((REAL)1 + exp(-x)); }
inline REAL NEON_FN(neon_sig2)(REAL x) { return (REAL)1 / ((REAL)1 + exp2(-x)); }
// tanh(x) rounds to +-1 beyond |x| = 20 in float and double; some drivers' tanh(+-inf) is 1 ulp short of it.
inline REAL NEON_FN(neon_tanh)(REAL x) { return fabs(x) > (REAL)20 ? copysign((REAL)1, x) : tanh(x); }
inline REAL NEON_FN(neon_tanh2)(REAL x) { return NEON_FN(neon_tanh)(x * NEON_LN2); }
inline REAL NEON_FN(neon_safelog)(REAL x) {
#if NEON_SAFELOG_STRICT
  const int above = x > NEON_SAFELOG_MIN;
#else
  const int above = x >= NEON_SAFELOG_MIN;
#endif
  return above ? log(x) : (isnan(x) ? x : (REAL)-50);
}
inline REAL NEON_FN(neon_binarize)(REAL x) { return isnan(x) ? x : (x >= 0 ? (REAL)1 : (REAL)-1); }
// NaN-propagating minimum and maximum (numpy's, not fmin/fmax).
inline REAL NEON_FN(neon_minimum)(REAL x, REAL y) {
  return (isnan(x) || isnan(y)) ? (REAL)NAN : (y < x ? y : x);
}
inline REAL NEON_FN(neon_maximum)(REAL x, REAL y) {
  return (isnan(x) || isnan(y)) ? (REAL)NAN : (y > x ? y : x);
}
// x * 2^y where 2^y alone may lie outside REAL's range (shift(1e-45f, 128) is finite):
// ldexp by the integral part, then scale by 2^frac(y) (in that order: x * 2^frac alone can
// overflow when frac rounds up to 1; a denormal result may lose a bit). Where 2^y is 0 or inf in float64
// (the reference's arithmetic) the result is x * 0 or x * inf, as there.
inline REAL NEON_FN(neon_shift)(REAL x, REAL y) {
  if (isnan(y)) return x + y;
  if (y <= (REAL)-1075 || y >= (REAL)1024) return x * (y > 0 ? (REAL)INFINITY : (REAL)0);
  const REAL whole = floor(y);
  return ldexp(x, (int)whole) * exp2(y - whole);
}
inline REAL NEON_FN(neon_bool)(int c) { return c ? (REAL)1 : (REAL)0; }
// Uniform in [0, 1) from the top 24 bits: exact in float and double.
inline REAL NEON_FN(neon_uniform)(uint bits) { return (REAL)(bits >> 8) * ((REAL)1 / (REAL)16777216); }
// Store conversion to int32: truncate, saturate, NaN -> 0 (neon::ToInt32).
inline int NEON_FN(neon_to_int32)(REAL x) {
  if (isnan(x)) return 0;
  if (x >= (REAL)2147483647) return 2147483647;
  if (x <= (REAL)-2147483648.0f) return (int)0x80000000u;
  return (int)x;
}

// argmax / argmin step: whether candidate (v, p) beats the current (acc, idx).
// First index on ties; NaN is larger (argmax) / smaller (argmin) than
// everything, and the first NaN wins. idx < 0 means "nothing yet".
inline int NEON_FN(neon_arg_better)(REAL v, long p, REAL acc, long idx, int is_max) {
  if (p < 0) return 0;
  if (idx < 0) return 1;
  const int v_nan = isnan(v), acc_nan = isnan(acc);
  if (v_nan || acc_nan) return v_nan && (!acc_nan || p < idx);
  if (v == acc) return p < idx;
  return is_max ? v > acc : v < acc;
}

#undef NEON_LN2
#undef NEON_SAFELOG_MIN
#undef NEON_SAFELOG_STRICT
