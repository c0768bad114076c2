// Cases for rules of the porting contract that ordinary assignments of random data
// do not reach: GEMM with NaN in C and beta 0, batched GEMM, exact halves in rint,
// reductions over empty axes, a second rand() draw, and argument validation.
#include <cmath>
#include <limits>

#include "core/error.h"
#include "graph/random_stream.h"
#include "tests/conformance.h"

namespace neon::conformance {

namespace {

// Fixed values for a (rows x cols) operand.
Tensor Operand(Backend& backend, int64_t rows, int64_t cols, uint32_t seed, DType dtype = DType::kFloat32) {
  InputSpec spec{{rows, cols}, dtype, {-2.0, 2.0}, Layout::kPlain};
  return array(backend, DrawValues(spec, seed), {rows, cols}, dtype);
}

// beta == 0 means C is never read: C full of NaN must not leak into the product.
std::vector<double> DotIntoNanOutput(Backend& backend) {
  Tensor a = Operand(backend, 9, 13, 1);
  Tensor b = Operand(backend, 13, 11, 2);
  Tensor out = full(backend, {9, 11}, std::numeric_limits<double>::quiet_NaN());
  out.assign(dot(a, b));
  return out.get<double>();
}

// Three products in one call, each matrix batch_stride elements after the previous one.
std::vector<double> BatchedGemm(Backend& backend) {
  constexpr int64_t kBatch = 3, kM = 4, kK = 5, kN = 6;
  Tensor a = Operand(backend, kBatch * kM, kK, 3);
  Tensor b = Operand(backend, kBatch * kK, kN, 4);
  Tensor c = full(backend, {kBatch * kM, kN}, 0.5);
  GemmArgs args;
  args.m = kM;
  args.n = kN;
  args.k = kK;
  args.batch = kBatch;
  args.alpha = 1.5;
  args.beta = 2.0;
  args.a = {a.buffer().get(), 0, kK, false, kM * kK};
  args.b = {b.buffer().get(), 0, kN, false, kK * kN};
  args.c = {c.buffer().get(), 0, kN, false, kM * kN};
  backend.gemm(args);
  return c.get<double>();
}

// The second draw after SetSeed starts where the first one ended.
std::vector<double> SecondRandDraw(Backend& backend) {
  SetSeed(backend, 20261201);
  Tensor out = empty(backend, {5, 33});
  out.assign(rand());
  out.assign(rand());
  return out.get<double>();
}

void AddValidationCases(std::vector<Case>& cases) {
  const auto add = [&](const char* name, std::function<std::vector<double>(Backend&)> run) {
    Case test_case;
    test_case.name = std::string("rejects_") + name;
    test_case.tolerance = 0;
    test_case.run = std::move(run);
    cases.push_back(std::move(test_case));
  };
  add("copy_in_past_the_end", [](Backend& backend) {
    std::shared_ptr<Buffer> buffer = backend.allocate(16);
    std::vector<char> host(32);
    return Rejects([&] { backend.copy_in(*buffer, 8, host.data(), 16); });
  });
  add("fill_random_past_the_end", [](Backend& backend) {
    std::shared_ptr<Buffer> buffer = backend.allocate(4 * 10);
    RandomArgs args;
    args.dst = {buffer.get(), 0, 4, 1, DType::kFloat32};
    args.rows = 3;
    args.cols = 4;
    return Rejects([&] { backend.fill_random(args); });
  });
  add("gemm_c_too_small", [](Backend& backend) {
    Tensor a = Operand(backend, 4, 4, 5);
    std::shared_ptr<Buffer> small = backend.allocate(4 * 8);
    GemmArgs args;
    args.m = args.n = args.k = 4;
    args.a = {a.buffer().get(), 0, 4, false, 0};
    args.b = args.a;
    args.c = {small.get(), 0, 4, false, 0};
    return Rejects([&] { backend.gemm(args); });
  });
  add("kernel_input_past_the_end", [](Backend& backend) {
    Tensor in = Operand(backend, 4, 4, 6);
    Tensor out = empty(backend, {4, 4});
    FusedKernel kernel;
    kernel.input_dtypes = {DType::kFloat32};
    kernel.body = {{OpKind::kTensor, -1, -1, 0}};
    KernelArgs args{4, 4, {{in.buffer().get(), 8, 4, 1, DType::kFloat32}}, {out.buffer().get(), 0, 4, 1, DType::kFloat32}, {}};
    return Rejects([&] { backend.run(kernel, args); });
  });
}

Case Direct(const char* name, std::function<std::vector<double>(Backend&)> run) {
  Case test_case;
  test_case.name = name;
  test_case.run = std::move(run);
  return test_case;
}

// An op-tree over one float32 input of `shape` drawn from `domain`.
Case Assigned(std::string name, Shape shape, Domain domain, std::function<Expr(const std::vector<Tensor>&)> build) {
  Case test_case;
  test_case.name = std::move(name);
  test_case.inputs = {{std::move(shape), DType::kFloat32, domain, Layout::kPlain}};
  test_case.build = std::move(build);
  return test_case;
}

}  // namespace

void AddContractCases(std::vector<Case>& cases) {
  cases.push_back(Direct("dot_into_nan_output", DotIntoNanOutput));
  cases.push_back(Direct("gemm_batched_strided", BatchedGemm));
  Case second_draw = Direct("rand_second_draw", SecondRandDraw);
  second_draw.tolerance = 0;  // Philox is bit-identical everywhere
  cases.push_back(second_draw);
  // Whole numbers halved: every odd one is an exact half, which rounds to even.
  cases.push_back(Assigned("rint_halves", {7, 19}, {-9, 9, true},
                           [](const std::vector<Tensor>& in) { return rint(in[0] * 0.5); }));
  // Reductions over an empty axis: 0 for sum, -inf for max, +inf for min.
  const std::pair<const char*, Expr (*)(const Expr&, int)> reductions[] = {{"sum", sum}, {"max", max}, {"min", min}};
  for (const auto& [name, reduce] : reductions) {
    auto fn = reduce;
    cases.push_back(Assigned(std::string(name) + "_empty_axis0", {0, 7}, {},
                             [fn](const std::vector<Tensor>& in) { return fn(in[0], 0); }));
    cases.push_back(Assigned(std::string(name) + "_empty_axis1", {7, 0}, {},
                             [fn](const std::vector<Tensor>& in) { return fn(in[0], 1); }));
  }
  AddValidationCases(cases);
}

}  // namespace neon::conformance
