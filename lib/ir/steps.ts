/**
 * Long synchronous compile work (shape inference, lowering, memory planning) written once as a
 * generator that yields between small steps (a node, a tensor), and driven two ways: to completion
 * at once (`runSteps`, the synchronous API) or in time slices that give the event loop a turn
 * between them (`runStepsSliced`, what Session uses), so compiling a large graph never holds the
 * event loop for more than about one slice plus one step.
 */

/** A computation that yields (nothing) between steps and returns T. */
export type Steps<T> = Generator<void, T, void>;

/** Runs every step at once and returns the result. */
export function runSteps<T>(steps: Steps<T>): T {
  let r = steps.next();
  while (!r.done) r = steps.next();
  return r.value;
}

/** Default slice: a few ms, well under the 50 ms a UI or a server heartbeat notices. */
export const SLICE_MS = 8;

/** Resolves on the next turn of the event loop, after pending I/O and timers. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// One slice per turn of the event loop for the whole thread: every sliced computation (several
// images decoded at once, a plan compiling meanwhile) waits in one queue, and each turn lets only the
// first one run for a slice. Separate setImmediate yields would let each of them run a slice in the
// same turn (Node runs every queued immediate in one check phase), adding up to a long stretch.
const waiting: { resume: () => void; ms: number }[] = [];
let scheduled = false;
/** End of the running slice (performance.now() time); sliced work started before it may go on. */
let budgetEnd = 0;

function tick(): void {
  scheduled = false;
  const next = waiting.shift();
  if (waiting.length > 0) {
    scheduled = true;
    setImmediate(tick);
  }
  if (next) {
    budgetEnd = performance.now() + next.ms;
    next.resume();
  }
}

/** Waits for a turn of the event loop in which this computation may run one slice. */
function slice(sliceMs: number): Promise<void> {
  return new Promise((resolve) => {
    waiting.push({ resume: resolve, ms: sliceMs });
    if (!scheduled) {
      scheduled = true;
      setImmediate(tick);
    }
  });
}

/**
 * Runs the steps in slices of about `sliceMs` milliseconds, one slice per turn of the event loop
 * among all sliced computations of the thread. Errors thrown by a step reject the promise.
 */
export async function runStepsSliced<T>(steps: Steps<T>, sliceMs: number = SLICE_MS): Promise<T> {
  for (;;) {
    if (performance.now() >= budgetEnd) await slice(sliceMs);
    const r = steps.next();
    if (r.done) return r.value;
  }
}
