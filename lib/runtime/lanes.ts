/**
 * Batches in lanes: several whole runs in flight at once, their results handled in batch order.
 *
 * A batch of a small model does not keep two threads busy inside one run (its ops are too short to
 * share), but batches are independent: with enough of them, `threads` single-threaded runs in flight
 * use every core, each with its own arena (so up to `threads` times the run memory). Handling results
 * in batch order, whatever order the runs finish in, keeps anything accumulated from them the same bits
 * as with one run at a time.
 */

/**
 * How many batches to keep in flight with `threads` threads and `batches` batches (undefined: unknown
 * length, run in lanes). With fewer than two batches per thread, one run at a time on all the threads
 * is better: a lone last round would leave cores idle.
 */
export function batchLanes(threads: number, batches: number | undefined): number {
  if (threads <= 1) return 1;
  if (batches !== undefined && batches < 2 * threads) return 1;
  return threads;
}

/**
 * Calls `start` on each batch, keeping up to `lanes` of the returned runs in flight, and `finish` on
 * each run's result in batch order. A failing run (or `finish`, or the batch source) ends the loop
 * with its error once the runs still in flight have settled, so none outlives the call.
 */
export async function runInLanes<B, R>(
  batches: Iterable<B> | AsyncIterable<B>, lanes: number,
  start: (batch: B, index: number) => Promise<R>, finish: (result: R) => Promise<void> | void,
): Promise<void> {
  const inFlight: Promise<R>[] = [];
  try {
    let index = 0;
    for await (const batch of batches) {
      const running = start(batch, index++);
      running.catch(() => undefined);  // awaited in order below; a failure must not go unhandled meanwhile
      inFlight.push(running);
      if (inFlight.length >= lanes) await finish(await inFlight.shift()!);
    }
    while (inFlight.length) await finish(await inFlight.shift()!);
  } finally {
    await Promise.allSettled(inFlight);
  }
}
