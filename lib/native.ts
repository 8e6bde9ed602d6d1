/**
 * Loads the native addon: prebuilds/<platform>-<arch>/npuquant.node first (shipped in the npm
 * package), then the cmake-js / node-gyp build folders (through `bindings`). A local build that is
 * newer than the prebuilt binary wins (a developer who rebuilt the engine runs what they built). Fails with a
 * NpuqError('NATIVE_LOAD') that names the platform and what to do.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { NativeAddon } from '../typings/native';
import { NpuqError } from './errors';

let cached: NativeAddon | undefined;

/** The package root (the folder holding package.json), from dist/ or lib/. */
export function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..');
}

/** The addon, loaded once per thread (the addon is context-aware, so worker threads may load it too). */
export function native(): NativeAddon {
  if (cached) return cached;
  const root = packageRoot();
  const platformArch = `${process.platform}-${process.arch}`;
  const prebuilt = path.join(root, 'prebuilds', platformArch, 'npuquant.node');
  const errors: string[] = [];
  const local = path.join(root, 'build', 'Release', 'npuquant.node');
  const mtime = (f: string) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : -1);
  if (fs.existsSync(prebuilt) && mtime(prebuilt) >= mtime(local)) {
    try {
      cached = require(prebuilt) as NativeAddon;
      return cached;
    } catch (e) {
      errors.push(`${prebuilt}: ${(e as Error).message}`);
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const bindings = require('bindings') as (opts: { bindings: string; module_root: string }) => NativeAddon;
    cached = bindings({ bindings: 'npuquant.node', module_root: root });
    return cached;
  } catch (e) {
    errors.push((e as Error).message.split('\n')[0]);
  }
  throw new NpuqError(
    'NATIVE_LOAD',
    `npuquant's native engine could not be loaded for ${platformArch} (Node ${process.versions.node}, N-API ${process.versions.napi}). ` +
      `No prebuilt binary matched and no local build was found. Build it from source with "npm rebuild npuquant" ` +
      `(needs cmake >= 3.18 and a C++17 compiler). Details: ${errors.join('; ')}`,
  );
}
