/** ONNX file I/O: loading, saving and TensorProto conversion. */
export { loadModel, loadModelSync, MAX_PROTO_BYTES } from './load';
export type { LoadOptions } from './load';
export { saveModel, saveModelSync, serializeModel } from './save';
export type { SaveOptions } from './save';
export { readTensorProtoFile, tensorToProto, protoToTensor } from './tensor-proto';
export type { TensorContext } from './tensor-proto';
