/**
 * Loads the native addon: prebuilds/<platform>-<arch>/npuquant.node first (shipped in the npm
 * package), then the cmake-js / node-gyp build folders (through `bindings`). A local build that is
 * newer than the prebuilt binary wins (a developer who rebuilt the engine runs what they built). The
 * environment variable NPUQ_ADDON names one binary explicitly (a build folder of its own, an Electron
 * app's unpacked copy); it is then the only one tried. Fails with a
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
  const explicit = process.env.NPUQ_ADDON;
  if (explicit) {
    // An explicit path wins and does not fall back: asking for a binary and silently getting another
    // one would make every measurement and test run on that binary a lie.
    try {
      cached = require(path.resolve(explicit)) as NativeAddon;
      return cached;
    } catch (e) {
      throw new NpuqError(
        'NATIVE_LOAD',
        `NPUQ_ADDON=${explicit} could not be loaded: ${(e as Error).message.split('\n')[0]}. ` +
          `Point NPUQ_ADDON at a npuquant.node built for ${platformArch}, or unset it to use the packaged one.`,
      );
    }
  }
  const local = path.join(root, 'build', 'Release', 'npuquant.node');
  const mtime = (f: string) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : -1);
  const tryPrebuilt = (): NativeAddon | undefined => {
    if (!fs.existsSync(prebuilt)) return undefined;
    try {
      return require(prebuilt) as NativeAddon;
    } catch (e) {
      errors.push(`${prebuilt}: ${(e as Error).message.split('\n')[0]}`);
      return undefined;
    }
  };
  const tryLocal = (): NativeAddon | undefined => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const bindings = require('bindings') as (opts: { bindings: string; module_root: string }) => NativeAddon;
      return bindings({ bindings: 'npuquant.node', module_root: root });
    } catch (e) {
      errors.push((e as Error).message.split('\n')[0]);
      return undefined;
    }
  };
  // The newer of the two goes first; the other is the fallback, so a local build that fails to load
  // (built for another Node ABI, a missing libstdc++ on a board) does not hide a working prebuilt one.
  const order = mtime(prebuilt) >= mtime(local) ? [tryPrebuilt, tryLocal] : [tryLocal, tryPrebuilt];
  for (const attempt of order) {
    const addon = attempt();
    if (addon) return (cached = addon);
  }
  throw new NpuqError(
    'NATIVE_LOAD',
    `npuquant's native engine could not be loaded for ${platformArch} (Node ${process.versions.node}, N-API ${process.versions.napi}). ` +
      `Neither a prebuilt binary nor a local build loaded. Build it from source with "npm rebuild npuquant" ` +
      `(needs cmake >= 3.18 and a C++17 compiler). Details: ${errors.join('; ')}`,
  );
}
