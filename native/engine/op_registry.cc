#include <mutex>

#include "engine/ops/ops.h"

namespace npuq {

const std::vector<std::pair<std::string, OpFactory>>& op_table() {
  static const OpTable table = [] {
    OpTable t;
    register_eltwise_ops(t);
    register_conv_ops(t);
    register_gemm_ops(t);
    register_norm_ops(t);
    register_pool_ops(t);
    register_reduce_ops(t);
    register_movement_ops(t);
    register_resize_ops(t);
    register_cast_ops(t);
    register_quant_ops(t);
    register_qlinear_ops(t);
    register_qops(t);
    register_qsoftmax_ops(t);
    register_analysis_ops(t);
    return t;
  }();
  return table;
}

const OpFactory* find_op(const std::string& name) {
  for (const auto& kv : op_table())
    if (kv.first == name) return &kv.second;
  return nullptr;
}

}  // namespace npuq
