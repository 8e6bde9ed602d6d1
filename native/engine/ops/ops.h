// Registration hooks of the op files; op_registry.cc calls each once to build the op table.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "engine/op.h"

namespace npuq {

using OpTable = std::vector<std::pair<std::string, OpFactory>>;

void register_eltwise_ops(OpTable& t);   // eltwise.cc: unary, binary, compare, Where, Expand, Copy
void register_conv_ops(OpTable& t);      // conv.cc: Conv, ConvTranspose
void register_gemm_ops(OpTable& t);      // gemm.cc: Gemm, MatMul
void register_norm_ops(OpTable& t);      // norm.cc: BatchNormalization, LayerNormalization, InstanceNormalization, Softmax, LogSoftmax
void register_pool_ops(OpTable& t);      // pool.cc: MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool
void register_reduce_ops(OpTable& t);    // reduce.cc: Reduce*
void register_movement_ops(OpTable& t);  // movement.cc: Concat, Split, Slice, Transpose, Gather, Pad, Tile, DepthToSpace, SpaceToDepth
void register_resize_ops(OpTable& t);    // resize.cc: Resize
void register_cast_ops(OpTable& t);      // cast.cc: Cast, RoundFloat16, RoundBFloat16
void register_quant_ops(OpTable& t);     // quant.cc: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear
void register_qops(OpTable& t);          // qops.cc: QConv, QGemm, QBinary, QMaxPool, QAvgPool, QGlobalAvgPool, Lut, Requantize
void register_qsoftmax_ops(OpTable& t);  // qsoftmax.cc: QSoftmax (onnxruntime's QLinearSoftmax)
void register_qlinear_ops(OpTable& t);   // qlinear.cc: QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger
void register_analysis_ops(OpTable& t);  // analysis.cc: ErrorStats (accuracy-analysis probe)

}  // namespace npuq
