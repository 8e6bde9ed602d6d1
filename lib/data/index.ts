/** Calibration data: datasets of images, .npy and .raw files; .npy reading and writing. This file only re-exports. */
export { openDataset, type Dataset, type DatasetOptions } from './dataset';
export {
  loadInputConfig, validateInputConfig, validateInputConfigs,
  type InputConfig, type ResizeMethod, type ColorFormat, type Layout, type ImageDType,
} from './input-config';
export { IMAGE_EXTENSIONS } from './images';
export { readNpy, writeNpy, encodeNpy, parseNpyHeader, type NpyHeader } from './npy';
