/**
 * Input configs: how images become the tensor a model input takes (size, resize method, colour
 * format, mean/std, layout, dtype). Read from a JSON file for the CLI (`--input-config`), passed as
 * the same object in the API. Validation here; resolution against a model input in
 * {@link resolveImagePlan}.
 */
import { NpuqError } from '../errors';
import { DType } from '../ir/tensor';
import { Dim, ValueInfo } from '../ir/graph';
import { describeValue } from '../io/bytes';
import { readFileChecked } from '../io/files';

/** Resize methods, with OpenCV's semantics (see lib/data/resize.ts). */
export type ResizeMethod = 'bilinear' | 'area' | 'nearest';
export type ColorFormat = 'RGB' | 'BGR' | 'GRAY';
export type Layout = 'NCHW' | 'NHWC';
/** Element types an image can be converted to. */
export type ImageDType = 'float32' | 'uint8' | 'int8';

/** Preprocessing of one model input (JSON file for the CLI, same object in the API). */
export interface InputConfig {
  /** Target [height, width]. Default: from the model input shape (NCHW dims 2,3 or NHWC dims 1,2). */
  size?: [number, number];
  /**
   * Resize method, computed in float64 with OpenCV's semantics: 'bilinear' = cv2.INTER_LINEAR
   * (half-pixel centres, no antialiasing; equals ONNX Resize linear/half_pixel and torch
   * interpolate bilinear, align_corners=False), 'area' = cv2.INTER_AREA (average over the covered
   * source area when shrinking), 'nearest' = cv2.INTER_NEAREST (source index floor(dst * scale)).
   * Default 'bilinear'.
   */
  resize?: ResizeMethod;
  /**
   * Channel order fed to the model. 'GRAY' is the BT.601 luma 0.299 R + 0.587 G + 0.114 B (as
   * OpenCV cvtColor and Pillow convert('L')), exact for grey images. Default: 'GRAY' when the model
   * input has 1 channel, else 'RGB'.
   */
  colorFormat?: ColorFormat;
  /** Per-channel mean subtracted from 0..255 pixel values: (x - mean) / std. Scalar or one per channel. Default 0. */
  mean?: number | number[];
  /** Per-channel divisor (> 0) applied after the mean. Scalar or one per channel. Default 1. */
  std?: number | number[];
  /** Memory layout of the image input. Default 'NCHW'. */
  layout?: Layout;
  /**
   * Element type: 'float32', or 'uint8' / 'int8' for models with integer inputs (values rounded to
   * nearest, ties to even, then saturated). Also the element type of .raw files. Default: the
   * model input's dtype when it is one of these, else 'float32'.
   */
  dtype?: ImageDType;
}

/** An input config resolved against one model input: every field known. */
export interface ImagePlan {
  input: string;
  height: number;
  width: number;
  resize: ResizeMethod;
  colorFormat: ColorFormat;
  channels: 1 | 3;
  mean: number[];
  std: number[];
  layout: Layout;
  dtype: ImageDType;
}

const KEYS = ['size', 'resize', 'colorFormat', 'mean', 'std', 'layout', 'dtype'] as const;
const RESIZE: readonly ResizeMethod[] = ['bilinear', 'area', 'nearest'];
const COLOR: readonly ColorFormat[] = ['RGB', 'BGR', 'GRAY'];
const LAYOUT: readonly Layout[] = ['NCHW', 'NHWC'];
const DTYPES: readonly ImageDType[] = ['float32', 'uint8', 'int8'];
const MAX_SIDE = 65535;

function bad(message: string): NpuqError {
  return new NpuqError('INVALID_ARGUMENT', message);
}

function oneOf(options: readonly string[]): string {
  const q = options.map((o) => `"${o}"`);
  return q.length === 1 ? q[0] : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function checkNumbers(v: unknown, key: string, where: string, positive: boolean): number | number[] {
  const ok = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0);
  const what = positive ? 'a positive finite number' : 'a finite number';
  if (Array.isArray(v)) {
    if (v.length === 0 || !v.every(ok)) {
      throw bad(`Expected ${what} or a non-empty array of them (one per channel) for "${key}" in ${where} but received ${JSON.stringify(v)}`);
    }
    return v.slice() as number[];
  }
  if (!ok(v)) throw bad(`Expected ${what} or an array of them (one per channel) for "${key}" in ${where} but received ${describeValue(v)}`);
  return v as number;
}

function checkEnum<T extends string>(v: unknown, key: string, where: string, options: readonly T[]): T {
  if (typeof v !== 'string' || !options.includes(v as T)) {
    throw bad(`Expected ${oneOf(options)} for "${key}" in ${where} but received ${describeValue(v)}`);
  }
  return v as T;
}

/**
 * Checks one input config and returns a copy. Throws NpuqError('INVALID_ARGUMENT') naming the key
 * (an unknown key, a wrong value) and `where` (e.g. `input config "cfg.json"`).
 */
export function validateInputConfig(value: unknown, where = 'the input config'): InputConfig {
  if (!isPlainObject(value)) throw bad(`Expected an object for ${where} but received ${describeValue(value)}`);
  const out: InputConfig = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    switch (key) {
      case 'size': {
        const okSide = (x: unknown) => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= MAX_SIDE;
        if (!Array.isArray(v) || v.length !== 2 || !v.every(okSide)) {
          throw bad(`Expected [height, width] with integers in [1, ${MAX_SIDE}] for "size" in ${where} but received ${JSON.stringify(v)}`);
        }
        out.size = [v[0], v[1]];
        break;
      }
      case 'resize': out.resize = checkEnum(v, key, where, RESIZE); break;
      case 'colorFormat': out.colorFormat = checkEnum(v, key, where, COLOR); break;
      case 'layout': out.layout = checkEnum(v, key, where, LAYOUT); break;
      case 'dtype': out.dtype = checkEnum(v, key, where, DTYPES); break;
      case 'mean': out.mean = checkNumbers(v, key, where, false); break;
      case 'std': out.std = checkNumbers(v, key, where, true); break;
      default:
        throw bad(`Unknown key "${key}" in ${where}; the keys of an input config are ${KEYS.join(', ')} (or give one config per input name)`);
    }
  }
  return out;
}

/**
 * Checks an input config that is either one config (applied to every image input) or an object
 * of configs keyed by input name. It is per input when it is non-empty and every value is an
 * object (a config's own values are never objects). Throws NpuqError('INVALID_ARGUMENT').
 */
export function validateInputConfigs(value: unknown, where = 'the input config'): InputConfig | Record<string, InputConfig> {
  if (!isPlainObject(value)) throw bad(`Expected an object for ${where} but received ${describeValue(value)}`);
  const entries = Object.entries(value);
  const objects = entries.filter(([, v]) => isPlainObject(v));
  if (objects.length === 0 || entries.length === 0) return validateInputConfig(value, where);
  if (objects.length !== entries.length) {
    const other = entries.find(([, v]) => !isPlainObject(v))![0];
    throw bad(`Mixed ${where}: "${objects[0][0]}" holds an object but "${other}" does not; give either one config ({ "size": [h, w], "mean": ... }) or one config per input name ({ "${objects[0][0]}": { ... } })`);
  }
  const out: Record<string, InputConfig> = {};
  for (const [name, v] of entries) out[name] = validateInputConfig(v, `${where} of input "${name}"`);
  return out;
}

/** True when a validated config is keyed by input name. */
export function isPerInputConfig(c: InputConfig | Record<string, InputConfig>): c is Record<string, InputConfig> {
  return Object.values(c).some((v) => isPlainObject(v));
}

/**
 * Reads and validates an input config JSON file: one config, or one per input name. Errors:
 * FILE_NOT_FOUND / FILE_READ; INVALID_DATA when the file is not JSON; INVALID_ARGUMENT naming the
 * bad key.
 *
 * @param file - Path of the JSON file.
 */
export async function loadInputConfig(file: string): Promise<Record<string, InputConfig> | InputConfig> {
  if (typeof file !== 'string' || file.length === 0) {
    throw new TypeError(`Expected a non-empty path string for loadInputConfig but received ${describeValue(file)}`);
  }
  const text = (await readFileChecked(file, 'input config file', 1 << 20, '1 MiB')).toString('utf8').replace(/^\uFEFF/, '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new NpuqError('INVALID_DATA', `Input config file "${file}" is not valid JSON: ${(err as Error).message}`, { file, cause: err });
  }
  return validateInputConfigs(json, `input config "${file}"`);
}

/** "[N,1,20,20]"; "?" for unknown dims. */
export function fmtShape(shape: readonly Dim[]): string {
  return `[${shape.map((d) => (d === undefined ? '?' : String(d))).join(',')}]`;
}

function perChannel(v: number | number[] | undefined, def: number, key: string, channels: number, input: string, color: ColorFormat): number[] {
  if (v === undefined) return new Array<number>(channels).fill(def);
  if (typeof v === 'number') return new Array<number>(channels).fill(v);
  if (v.length === 1) return new Array<number>(channels).fill(v[0]);
  if (v.length !== channels) {
    throw bad(`"${key}" has ${v.length} values in the input config of input "${input}" but the input has ${channels} channel${channels === 1 ? '' : 's'} (${color}); give one value or ${channels}`);
  }
  return v.slice();
}

/**
 * Resolves `config` (possibly undefined) against a model input that is to be fed images: the
 * image size, channels and dtype the input takes. Throws NpuqError('INVALID_ARGUMENT') naming the
 * key when the config contradicts the input's shape or dtype, or when the shape leaves something
 * open that the config must give (a symbolic height/width needs "size").
 */
export function resolveImagePlan(config: InputConfig | undefined, info: ValueInfo): ImagePlan {
  const c = config ?? {};
  const name = info.name;
  const layout = c.layout ?? 'NCHW';
  const shape = info.shape;
  if (shape !== undefined && shape.length !== 4) {
    throw bad(`Input "${name}" has shape ${fmtShape(shape)}; images can feed only rank-4 inputs (NCHW or NHWC)`);
  }
  const [ci, hi, wi] = layout === 'NCHW' ? [1, 2, 3] : [3, 1, 2];
  const modelC = shape?.[ci];
  const isImageC = (d: Dim) => d === 1 || d === 3;
  if (typeof modelC === 'number' && !isImageC(modelC)) {
    const other = layout === 'NCHW' ? 3 : 1;
    const hint = isImageC(shape![other]) ? `; set "layout": "${layout === 'NCHW' ? 'NHWC' : 'NCHW'}" in the input config` : '';
    throw bad(`Input "${name}" has shape ${fmtShape(shape!)}: with "layout" ${layout} that is ${modelC} channels, but images have 1 (GRAY) or 3 (RGB, BGR)${hint}`);
  }
  const colorFormat = c.colorFormat ?? (modelC === 1 ? 'GRAY' : 'RGB');
  const channels = colorFormat === 'GRAY' ? 1 : 3;
  if (typeof modelC === 'number' && modelC !== channels) {
    throw bad(`"colorFormat" ${colorFormat} gives ${channels} channel${channels === 1 ? '' : 's'} but input "${name}" has shape ${fmtShape(shape!)} (${modelC} channel${modelC === 1 ? '' : 's'}, ${layout})`);
  }
  let height: number;
  let width: number;
  const mh = shape?.[hi];
  const mw = shape?.[wi];
  if (c.size !== undefined) {
    [height, width] = c.size;
    if ((typeof mh === 'number' && mh !== height) || (typeof mw === 'number' && mw !== width)) {
      throw bad(`"size" [${height}, ${width}] in the input config of input "${name}" does not match its shape ${fmtShape(shape!)} (${layout}); remove "size" or give [${mh}, ${mw}]`);
    }
  } else if (typeof mh === 'number' && typeof mw === 'number') {
    [height, width] = [mh, mw];
  } else {
    const s = shape === undefined ? 'an unknown shape' : `shape ${fmtShape(shape)}`;
    throw bad(`Input "${name}" has ${s}, so the image size is unknown; set "size": [height, width] in the input config`);
  }
  const modelDType = info.dtype;
  const own = modelDType !== undefined && (DTYPES as readonly DType[]).includes(modelDType) ? (modelDType as ImageDType) : undefined;
  if (c.dtype !== undefined && modelDType !== undefined && c.dtype !== modelDType) {
    throw bad(`"dtype" ${c.dtype} in the input config of input "${name}" differs from the input's type ${modelDType}; remove "dtype" or give ${modelDType}`);
  }
  if (c.dtype === undefined && modelDType !== undefined && own === undefined) {
    throw bad(`Input "${name}" takes ${modelDType}; images can feed float32, uint8 or int8 inputs only; pass .npy files instead`);
  }
  return {
    input: name,
    height,
    width,
    resize: c.resize ?? 'bilinear',
    colorFormat,
    channels,
    mean: perChannel(c.mean, 0, 'mean', channels, name, colorFormat),
    std: perChannel(c.std, 1, 'std', channels, name, colorFormat),
    layout,
    dtype: c.dtype ?? own ?? 'float32',
  };
}

/** "GRAY, 20x20, NCHW float32" (height x width). */
export function describePlan(p: ImagePlan): string {
  return `${p.colorFormat}, ${p.height}x${p.width}, ${p.layout} ${p.dtype}`;
}
