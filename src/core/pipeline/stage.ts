import type { Phase } from '../generators/types';

/** What every stage may use: progress phases for the user, and timings for the card. */
export interface Stage {
  phase: Phase;
  /** Run `work`, recording its seconds under `name`. */
  time<T>(name: string, work: () => Promise<T> | T): Promise<T>;
  timings: Record<string, number>;
}

export function stageContext(onPhase: Phase | undefined): Stage {
  const timings: Record<string, number> = {};
  return {
    phase: (name, message) => onPhase?.(name, message),
    timings,
    async time(name, work) {
      const t = performance.now();
      const result = await work();
      timings[name] = (performance.now() - t) / 1000;
      return result;
    },
  };
}
