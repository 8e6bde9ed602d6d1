/**
 * The public sources the built-in profiles cite, by id. Profiles name them in `sources` and in each
 * claim; `defineProfile` resolves ids against this catalog. The facts drawn from each are collected
 * in shared/reference/quantization-facts.md.
 */
import type { Source } from '../profile';

const TPU_MLIR = 'https://github.com/sophgo/tpu-mlir/blob/master';
const PPQ = 'https://github.com/OpenPPL/ppq/blob/master/ppq';

const LIST: Source[] = [
  { id: 'facts', title: 'npuquant reference notes: what the vendor toolchains compute', url: 'shared/reference/quantization-facts.md' },
  { id: 'onnx-quantizelinear', title: 'ONNX QuantizeLinear operator (round half to even, saturate)', url: 'https://onnx.ai/onnx/operators/onnx__QuantizeLinear.html' },
  { id: 'ort-quant-docs', title: 'onnxruntime: Quantize ONNX models', url: 'https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html' },
  { id: 'ort-quant-utils', title: 'onnxruntime quantization quant_utils.py (compute_scale_zp, get_qmin_qmax_for_qType)', url: 'https://github.com/microsoft/onnxruntime/blob/main/onnxruntime/python/tools/quantization/quant_utils.py' },
  { id: 'ort-qdq-registry', title: 'onnxruntime quantization registry.py and operators/ (QDQ op registry, removable Relu/Clip)', url: 'https://github.com/microsoft/onnxruntime/tree/main/onnxruntime/python/tools/quantization' },
  { id: 'tflite-spec', title: 'TensorFlow Lite 8-bit quantization specification', url: 'https://ai.google.dev/edge/litert/models/quantization_spec' },
  { id: 'tflite-16x8', title: 'TensorFlow Lite post-training integer quantization with int16 activations', url: 'https://ai.google.dev/edge/litert/models/post_training_integer_quant_16x8' },
  { id: 'tflite-quant-util', title: 'TensorFlow Lite kernels/internal/quantization_util.cc (QuantizeMultiplier) and common.h', url: 'https://github.com/tensorflow/tensorflow/blob/master/tensorflow/lite/kernels/internal/quantization_util.cc' },
  { id: 'gemmlowp-fixedpoint', title: 'gemmlowp fixedpoint.h (SaturatingRoundingDoublingHighMul, RoundingDivideByPOT)', url: 'https://github.com/google/gemmlowp/blob/master/fixedpoint/fixedpoint.h' },
  { id: 'ncnn-int8', title: 'ncnn wiki: quantized int8 inference; src/layer/convolution.cpp (float2int8, requantize)', url: 'https://github.com/Tencent/ncnn/wiki/quantized-int8-inference' },
  { id: 'ppq-ncnn', title: 'PPQ NCNNQuantizer.py', url: `${PPQ}/quantization/quantizer/NCNNQuantizer.py` },
  { id: 'ppq-rknn', title: 'PPQ RKNNQuantizer.py (RKNN_INT8: u8 asymmetric, half-even)', url: `${PPQ}/quantization/quantizer/RKNNQuantizer.py` },
  { id: 'ppq-range', title: 'PPQ observer/range.py (minmax_to_scale_offset, power-of-two round up, min scale 1e-8)', url: `${PPQ}/quantization/observer/range.py` },
  { id: 'rknn-toolkit1', title: 'RKNN-Toolkit1 user guide and Acuity .quantize files (rk1808, rv1126, rk3399pro)', url: 'https://github.com/rockchip-linux/rknn-toolkit' },
  { id: 'rknn-toolkit2', title: 'RKNN-Toolkit2 user guide, config() quantized_dtype / quantized_method / quantized_algorithm', url: 'https://github.com/airockchip/rknn-toolkit2' },
  { id: 'tpu-mlir-mathutils', title: 'TPU-MLIR lib/Support/MathUtils.cpp (get_scale_and_shift, calRightShiftNum, QuantizeMultiplier, RightShiftRound)', url: `${TPU_MLIR}/lib/Support/MathUtils.cpp` },
  { id: 'tpu-mlir-module', title: 'TPU-MLIR module helpers (getScale: threshold/127 or /255, getScaleAndZeroPoint, getQuantInt8Type)', url: `${TPU_MLIR}/lib/Support/Module.cpp` },
  { id: 'tpu-mlir-conv2d', title: 'TPU-MLIR Dialect/Tpu Conv2D.cpp inference (half-up for MultiplierShift/OnlyShift, half-away for QDM/TFLite)', url: `${TPU_MLIR}/lib/Dialect/Tpu/Interfaces/Common/Conv2D.cpp` },
  { id: 'tpu-mlir-bm1684-conv', title: 'TPU-MLIR TopToTpu/BM1684/Conv.cpp (OnlyShift, int16 bias)', url: `${TPU_MLIR}/lib/Conversion/TopToTpu/BM1684/Conv.cpp` },
  { id: 'tpu-mlir-bm1684x-conv', title: 'TPU-MLIR TopToTpu/BM1684X/Conv.cpp (per-channel MultiplierShift)', url: `${TPU_MLIR}/lib/Conversion/TopToTpu/BM1684X/Conv.cpp` },
  { id: 'tpu-mlir-bm1684x-add', title: 'TPU-MLIR TopToTpu/BM1684X/Add.cpp (8-bit multipliers and rshifts)', url: `${TPU_MLIR}/lib/Conversion/TopToTpu/BM1684X/Add.cpp` },
  { id: 'tpu-mlir-bm1684x-mul', title: 'TPU-MLIR TopToTpu/BM1684X/Mul.cpp and Sub.cpp (Mul: get_scale_and_shift 8-bit; Sub as Add)', url: `${TPU_MLIR}/lib/Conversion/TopToTpu/BM1684X/Mul.cpp` },
  { id: 'tpu-mlir-bm1684-add', title: 'TPU-MLIR TopToTpu/BM1684/Add.cpp (calRightShiftNumUseCblas, 8-bit multiplier)', url: `${TPU_MLIR}/lib/Conversion/TopToTpu/BM1684/Add.cpp` },
  { id: 'tpu-mlir-bm1684-mul', title: 'TPU-MLIR TopToTpu/BM1684/Mul.cpp (get_scale_and_shift 8-bit, rshift clamped to [0, 31])', url: `${TPU_MLIR}/lib/Conversion/TopToTpu/BM1684/Mul.cpp` },
  { id: 'tpu-mlir-cv18xx-add', title: 'TPU-MLIR TopToTpu/CV18xx/Add.cpp and Mul.cpp (one rshift, 8-bit multipliers; Mul QDM)', url: `${TPU_MLIR}/lib/Conversion/TopToTpu/CV18xx/Add.cpp` },
  { id: 'tpu-mlir-tpu-add', title: 'TPU-MLIR Tpu/Interfaces/Common/Add.cpp and Mul.cpp (int8 reference inference)', url: `${TPU_MLIR}/lib/Dialect/Tpu/Interfaces/Common/Add.cpp` },
  { id: 'ort-mlas-qladd-avx2', title: 'onnxruntime MLAS qladd_avx2.cpp (QLinearAdd, AVX2 + FMA)', url: 'https://github.com/microsoft/onnxruntime/blob/main/onnxruntime/core/mlas/lib/intrinsics/avx2/qladd_avx2.cpp' },
  { id: 'ort-mlas-qlmul', title: 'onnxruntime MLAS qlmul.cpp (QLinearMul; SSE2 path on x64)', url: 'https://github.com/microsoft/onnxruntime/blob/main/onnxruntime/core/mlas/lib/qlmul.cpp' },
  { id: 'tpu-mlir-cv18xx-conv', title: 'TPU-MLIR TopToTpu/CV18xx/Conv.cpp (QDM, weights fitted to the multiplier)', url: `${TPU_MLIR}/lib/Conversion/TopToTpu/CV18xx/Conv.cpp` },
  { id: 'tpu-mlir-docs', title: 'TPU-MLIR developer manual (run_calibration, qtable, mixed precision)', url: 'https://tpumlir.org/docs/developer_manual/index.html' },
  { id: 'xslim', title: 'SpacemiT XSlim xslim/quantizer/xslim.py', url: 'https://github.com/spacemit-com/xslim/blob/main/xslim/quantizer/xslim.py' },
  { id: 'pulsar2-docs', title: 'AXERA Pulsar2 documentation (config: quant, layer_configs, precision analysis)', url: 'https://pulsar2-docs.readthedocs.io/' },
  { id: 'snpe-docs', title: 'Qualcomm SNPE: quantized vs non-quantized models, snpe-dlc-quantize', url: 'https://docs.qualcomm.com/bundle/publicresource/topics/80-63442-2/quantized_models.html' },
];

/** Every cited source by id. */
export const SOURCE_CATALOG: ReadonlyMap<string, Source> = new Map(LIST.map((s) => [s.id, s]));
