#include "backends/cpu/fused.h"

#include <string>
#include <vector>

#include "backends/cpu/host_access.h"
#include "backends/cpu/reduce.h"
#include "backends/cpu/tiles.h"
#include "core/error.h"

namespace neon::cpu {

namespace {

template <typename T>
void RunTyped(const FusedKernel& kernel, const KernelArgs& args, int threads) {
  // Prepared into this thread's programs of the last launch: no allocation per launch.
  thread_local Program<T> body_cache, epilogue_cache;
  Program<T>& body = body_cache;
  Prepare<T>(kernel.body, args, body);
  Space<T> space{args.rows, args.cols, &args, nullptr};
  if (!kernel.has_reduction) {
    RunElementwise(body, space, args.output, threads);
    return;
  }
  std::vector<T> reduced;
  Reduce(body, space, kernel.reduce_op, kernel.reduce_axis, threads, reduced);

  static const std::vector<Instr> kIdentity = {{OpKind::kReduced}};
  const std::vector<Instr>& epilogue = kernel.epilogue.empty() ? kIdentity : kernel.epilogue;
  Program<T>& post = epilogue_cache;
  Prepare<T>(epilogue, args, post);
  Space<T> out_space{kernel.reduce_axis == 1 ? args.rows : 1, kernel.reduce_axis == 0 ? args.cols : 1, &args,
                     reduced.data()};
  RunElementwise(post, out_space, args.output, threads);
}


}  // namespace

void RunFused(const FusedKernel& kernel, const KernelArgs& args, int num_threads) {
  if (kernel.compute_dtype == DType::kFloat32) {
    RunTyped<float>(kernel, args, num_threads);
  } else {
    RunTyped<double>(kernel, args, num_threads);
  }
}

}  // namespace neon::cpu
