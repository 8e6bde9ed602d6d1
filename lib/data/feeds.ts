/**
 * The data argument every pass over samples accepts (quantize, analyze, hybrid): a path or paths for
 * openDataset, an opened Dataset, or the caller's own iterable of feed batches.
 */
import type { ValueInfo } from '../ir/graph';
import type { Tensor } from '../ir/tensor';
import { openDataset, type Dataset, type DatasetOptions } from './dataset';

export type Feeds = Record<string, Tensor>;

/** Samples: a directory of images, a list file, list files (one per input), a .npy batch, a Dataset or feed batches. */
export type DataSource = string | string[] | Dataset | Iterable<Feeds> | AsyncIterable<Feeds>;

export function isDataset(d: unknown): d is Dataset {
  return typeof d === 'object' && d !== null && typeof (d as Dataset).batches === 'function' && typeof (d as Dataset).size === 'number';
}

/**
 * Batches of `batchSize` samples from `data` for a model with `inputs`, and the sample count when it
 * is known (datasets). Throws TypeError for anything else, naming `where`.
 */
export async function openFeeds(
  data: DataSource, inputs: readonly ValueInfo[], options: DatasetOptions, batchSize: number, where = 'options.data',
): Promise<{ batches: Iterable<Feeds> | AsyncIterable<Feeds>; total?: number }> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`Expected a positive integer for options.batchSize but received ${batchSize}`);
  if (typeof data === 'string' || (Array.isArray(data) && data.length > 0 && data.every((d) => typeof d === 'string'))) {
    const ds = await openDataset(data as string | string[], inputs, options);
    return { batches: ds.batches(batchSize), total: ds.size };
  }
  if (isDataset(data)) return { batches: data.batches(batchSize), total: data.size };
  if (data && (Symbol.asyncIterator in Object(data) || Symbol.iterator in Object(data))) return { batches: data as Iterable<Feeds> };
  throw new TypeError(`Expected a path, a Dataset or an iterable of feeds for ${where} but received ${data === null ? 'null' : typeof data}`);
}
