/**
 * Progress bars for long CLI work (calibration, analysis): a cli-progress bar on a TTY, nothing
 * otherwise, so logs and pipes stay clean.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  /** Reports `done` of `total` (total may be unknown). */
  update: (done: number, total?: number) => void;
  /** Ends the bar (idempotent). */
  stop: () => void;
}

/** A progress bar titled `title`, shown only when stderr is a TTY. */
export function progressBar(title: string): Progress {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ format: `${title} [{bar}] {value}/{total} samples ({eta}s left)`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
  let started = false;
  let stopped = false;
  return {
    update: (done, total) => {
      if (stopped) return;
      if (!started) {
        bar.start(total ?? done, 0);
        started = true;
      }
      if (total !== undefined) bar.setTotal(total);
      else if (done > bar.getTotal()) bar.setTotal(done);
      bar.update(done);
    },
    stop: () => {
      if (started && !stopped) bar.stop();
      stopped = true;
    },
  };
}
