#include "core/kernel.h"

#include <string>

namespace neon {

namespace {

void AppendInstrs(const std::vector<Instr>& instrs, std::string& key) {
  for (const Instr& instr : instrs) {
    key += std::to_string(static_cast<int>(instr.op));
    key += ',';
    key += std::to_string(instr.a);
    key += ',';
    key += std::to_string(instr.b);
    key += ',';
    key += std::to_string(instr.slot);
    key += ';';
  }
}

}  // namespace

std::string FusedKernel::Key() const {
  std::string key = "in:";
  for (DType dtype : input_dtypes) key += DTypeName(dtype)[0] + std::to_string(SizeOf(dtype));
  key += "|p" + std::to_string(num_params);
  key += "|c" + std::string(DTypeName(compute_dtype));
  key += "|o" + std::string(DTypeName(output_dtype));
  key += "|b:";
  AppendInstrs(body, key);
  if (has_reduction) {
    key += "|r" + std::to_string(static_cast<int>(reduce_op)) + "@" + std::to_string(reduce_axis);
    key += "|e:";
    AppendInstrs(epilogue, key);
  }
  return key;
}

}  // namespace neon
