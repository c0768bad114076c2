// The default implementations of Backend's optional ops: the reference loops on
// host copies (host_ops.h), with a one-time warning.
#include "backends/backend.h"

#include "backends/host_ops.h"

namespace neon {

void Backend::conv_fprop(const ConvArgs& args) { host_ops::ConvOnHost(*this, args, ConvPass::kFprop, true); }
void Backend::conv_bprop_data(const ConvArgs& args) { host_ops::ConvOnHost(*this, args, ConvPass::kBpropData, true); }
void Backend::conv_bprop_filter(const ConvArgs& args) {
  host_ops::ConvOnHost(*this, args, ConvPass::kBpropFilter, true);
}
void Backend::conv_bprop(const ConvArgs& filter_args, const ConvArgs& data_args) {
  conv_bprop_filter(filter_args);
  conv_bprop_data(data_args);
}
void Backend::pool_fprop(const PoolArgs& args) { host_ops::PoolOnHost(*this, args, false, true); }
void Backend::pool_bprop(const PoolArgs& args) { host_ops::PoolOnHost(*this, args, true, true); }
void Backend::batch_norm_fprop(const BatchNormArgs& args) { host_ops::BatchNormOnHost(*this, args, false, true); }
void Backend::batch_norm_bprop(const BatchNormArgs& args) { host_ops::BatchNormOnHost(*this, args, true, true); }

}  // namespace neon
