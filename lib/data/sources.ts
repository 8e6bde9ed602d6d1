/**
 * Where samples come from: a directory of images (searched recursively, sorted by path), a list
 * file (one entry per line, paths relative to the list; with one list for a k-input model each line
 * holds k whitespace-separated paths, as RKNN-Toolkit's dataset.txt), a single .npy batch, a single
 * image or .raw file. Opening checks that every file exists and reads .npy headers, but no data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NpuqError } from '../errors';
import { Dim, ValueInfo } from '../ir/graph';
import { DType } from '../ir/tensor';
import { readFileChecked } from '../io/files';
import { IMAGE_EXTENSIONS, isImageFile, UNREADABLE_IMAGE_EXTENSIONS } from './images';
import { fmtShape, ImagePlan, InputConfig, resolveImagePlan } from './input-config';
import { checkRawFile, fileSize, npyRefs, NpySampleRef, RawSampleRef, readNpyHeaderFile } from './samples';

export interface ImageSampleRef {
  kind: 'image';
  file: string;
  origin: string;
}

export type SampleRef = ImageSampleRef | NpySampleRef | RawSampleRef;

/** What is known about one model input while opening a dataset. */
export interface InputPlan {
  info: ValueInfo;
  /** The model shape without its batch dim; undefined when the rank is unknown. */
  sample: Dim[] | undefined;
  config: InputConfig | undefined;
  /** Set when images feed this input. */
  image?: ImagePlan;
  /** dtype of the first .npy file feeding this input (used when nothing else says). */
  npyDType?: DType;
}

/** The samples one data source gives each of the inputs it feeds. */
export interface SourceSamples {
  /** refs[k] feeds inputs[k]. */
  refs: SampleRef[][];
  /** "dir/", "list.txt"... for describe(). */
  label: string;
  /** Non-image files a directory held (not used). */
  ignored: number;
}

const LIST_EXTENSIONS = ['.txt', '.lst', '.list'];
const RAW_EXTENSIONS = ['.raw', '.bin'];

/** Runs `fn` over `items` with at most `limit` calls in flight; results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Plain code-unit order of '/'-separated relative paths: the same on every platform and locale. */
function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function scanImageDir(dir: string): Promise<{ files: string[]; ignored: number }> {
  const found: string[] = [];
  let ignored = 0;
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(dir, rel);
    const entries = await fs.promises.readdir(abs, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const st = await fs.promises.stat(path.join(abs, e.name)).catch(() => undefined);
        isDir = st?.isDirectory() ?? false;
        isFile = st?.isFile() ?? false;
      }
      if (isDir) await walk(r);
      else if (isFile && isImageFile(e.name)) found.push(r);
      else if (isFile && UNREADABLE_IMAGE_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) {
        throw new NpuqError('INVALID_DATA', `"${path.join(dir, r)}" is a ${path.extname(e.name)} image, a format sharp does not decode; convert the images to PNG or JPEG (sharp reads ${IMAGE_EXTENSIONS.join(' ')})`, { file: path.join(dir, r) });
      } else ignored++;
    }
  };
  await walk('');
  found.sort(byPath);
  return { files: found.map((r) => path.join(dir, ...r.split('/'))), ignored };
}

/** The image plan of an input, resolved on first use. */
function imagePlan(plan: InputPlan): ImagePlan {
  plan.image ??= resolveImagePlan(plan.config, plan.info);
  return plan.image;
}

/** dtype of .raw files for an input: the config's, else the model's, else float32. */
export function rawDType(plan: InputPlan): DType {
  return plan.config?.dtype ?? plan.info.dtype ?? 'float32';
}

/** One entry (list line or single file) for one input: its sample refs, after checking the file. */
async function entryRefs(file: string, origin: string, plan: InputPlan): Promise<SampleRef[]> {
  const ext = path.extname(file).toLowerCase();
  const name = plan.info.name;
  if (isImageFile(file)) {
    imagePlan(plan);
    await fileSize(file, 'Image', origin);
    return [{ kind: 'image', file, origin }];
  }
  if (ext === '.npy') {
    const header = await readNpyHeaderFile(file, origin);
    plan.npyDType ??= header.dtype;
    return npyRefs(file, origin, header, plan.sample, name, plan.info.shape);
  }
  if (RAW_EXTENSIONS.includes(ext)) {
    const s = plan.sample;
    if (s === undefined || !s.every((d): d is number => typeof d === 'number')) {
      throw new NpuqError('INVALID_ARGUMENT', `"${file}"${origin} is a .raw file, but input "${name}" has shape ${fmtShape(plan.info.shape ?? ['?'])} with unknown dims, so the size of a sample is unknown; use .npy files, which carry their shape`, { file });
    }
    await checkRawFile(file, origin, s, rawDType(plan), name);
    return [{ kind: 'raw', file, origin }];
  }
  await fileSize(file, 'Data file', origin);
  if (UNREADABLE_IMAGE_EXTENSIONS.includes(ext)) {
    throw new NpuqError('INVALID_DATA', `"${file}"${origin} is a ${ext} image, a format sharp does not decode; convert it to PNG or JPEG (sharp reads ${IMAGE_EXTENSIONS.join(' ')})`, { file });
  }
  throw new NpuqError('INVALID_DATA', `"${file}"${origin} is neither an image (${IMAGE_EXTENSIONS.join(' ')}), a .npy nor a .raw file`, { file });
}

/** The entries of a list file: per line, one path per input it feeds. */
async function readList(list: string, columns: number, inputs: readonly InputPlan[]): Promise<{ line: number; paths: string[] }[]> {
  const text = (await readFileChecked(list, 'List file')).toString('utf8').replace(/^\uFEFF/, '');
  const base = path.dirname(list);
  const out: { line: number; paths: string[] }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = columns === 1 ? [line] : line.split(/\s+/);
    if (parts.length !== columns) {
      throw new NpuqError('INVALID_DATA', `Line ${i + 1} of list "${list}" has ${parts.length} path${parts.length === 1 ? '' : 's'} but the model has ${columns} inputs (${inputs.map((p) => `"${p.info.name}"`).join(', ')}); give ${columns} space-separated paths per line, or one list per input`, { file: list });
    }
    out.push({ line: i + 1, paths: parts.map((p) => path.resolve(base, p)) });
  });
  return out;
}

function noSamples(what: string, why: string, file: string): NpuqError {
  return new NpuqError('INVALID_DATA', `No samples in ${what}: ${why}`, { file });
}

function onePerInput(spec: string, what: string, inputs: readonly InputPlan[]): NpuqError {
  const names = inputs.map((p) => `"${p.info.name}"`).join(', ');
  return new NpuqError('INVALID_ARGUMENT', `"${spec}" is ${what}, which feeds one input, but the model has ${inputs.length} inputs (${names}); pass one list file per input, in the order of the inputs (each line of list k is the data of input k), or one list whose lines hold ${inputs.length} space-separated paths`);
}

/**
 * Opens one data source for `inputs` (all model inputs, or one of them when several sources are
 * given): checks that every file exists and reads .npy headers. Errors: FILE_NOT_FOUND (naming the
 * list and line for list entries), INVALID_DATA (empty set, unknown file kinds, bad .npy/.raw
 * files), SHAPE_MISMATCH, INVALID_ARGUMENT (a single-input source for a multi-input model).
 */
export async function openSource(spec: string, inputs: readonly InputPlan[]): Promise<SourceSamples> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(spec);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'ENOENT' || e?.code === 'ENOTDIR') throw new NpuqError('FILE_NOT_FOUND', `Data "${spec}" does not exist`, { file: spec, cause: err });
    throw new NpuqError('FILE_READ', `Cannot read data "${spec}": ${e?.message ?? String(err)}`, { file: spec, cause: err });
  }
  const ext = path.extname(spec).toLowerCase();
  if (st.isDirectory()) {
    if (inputs.length !== 1) throw onePerInput(spec, 'a directory of images', inputs);
    const plan = inputs[0];
    const { files, ignored } = await scanImageDir(spec);
    if (files.length === 0) {
      throw noSamples(`"${spec}"`, `the directory holds no images (${IMAGE_EXTENSIONS.join(' ')})${ignored ? `, only ${ignored} other file${ignored === 1 ? '' : 's'}` : ''}`, spec);
    }
    imagePlan(plan);
    return { refs: [files.map((file) => ({ kind: 'image', file, origin: '' }))], label: spec, ignored };
  }
  if (LIST_EXTENSIONS.includes(ext)) {
    const entries = await readList(spec, inputs.length, inputs);
    if (entries.length === 0) throw noSamples(`list "${spec}"`, 'it lists no files (blank lines and # comments are skipped)', spec);
    // In order, so that the first bad line is the one reported.
    const refs: SampleRef[][] = inputs.map(() => []);
    for (const e of entries) {
      for (let k = 0; k < inputs.length; k++) {
        for (const r of await entryRefs(e.paths[k], ` (line ${e.line} of list "${spec}")`, inputs[k])) refs[k].push(r);
      }
    }
    for (let k = 1; k < inputs.length; k++) {
      if (refs[k].length !== refs[0].length) {
        throw new NpuqError('INVALID_DATA', `List "${spec}" gives ${refs[0].length} samples for input "${inputs[0].info.name}" but ${refs[k].length} for input "${inputs[k].info.name}"; the .npy files on a line must hold the same number of samples`, { file: spec });
      }
    }
    if (refs[0].length === 0) throw noSamples(`list "${spec}"`, 'its .npy files hold 0 samples', spec);
    return { refs, label: spec, ignored: 0 };
  }
  if (inputs.length !== 1) {
    throw onePerInput(spec, ext === '.npy' ? 'a .npy file' : 'a single file', inputs);
  }
  if (ext !== '.npy' && !isImageFile(spec) && !RAW_EXTENSIONS.includes(ext)) {
    throw new NpuqError('INVALID_ARGUMENT', `Cannot tell what "${spec}" holds from its extension: data is a directory of images, a list file (${LIST_EXTENSIONS.join(' ')}), a .npy batch, an image or a .raw file`);
  }
  const refs = await entryRefs(spec, '', inputs[0]);
  if (refs.length === 0) throw noSamples(`"${spec}"`, 'its first dimension (samples) is 0', spec);
  return { refs: [refs], label: spec, ignored: 0 };
}
