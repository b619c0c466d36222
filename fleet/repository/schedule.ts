/**
 * Repeating timers, injected so tests drive time by hand: `every(ms, fn)` starts calling `fn` every `ms` and
 * returns the function that stops it. The default never keeps the process alive on its own.
 */
export type Scheduler = (ms: number, fn: () => void) => () => void;

export const intervalScheduler: Scheduler = (ms, fn) => {
  const timer = setInterval(fn, ms);
  timer.unref();
  return () => clearInterval(timer);
};
