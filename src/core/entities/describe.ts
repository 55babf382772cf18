import type { AssemblyStats } from './assemble';
import type { EntityModelState } from './model';

const fmt = (n: number): string => n.toLocaleString('en-GB');

/** How the synthetic rows were grouped into entities, in words, for the card's notes. */
export function describeAssembly(state: EntityModelState, stats: AssemblyStats & { truncated: boolean; counts: number[] }): string {
  const made = state.levels.map((l, j) => `${fmt(stats.counts[j])} ${l.key}`).join(', ');
  const constants = state.levels.flatMap((l) => l.constant);
  const parts = [`Entities: ${made} made, each with new keys (never a real value)${state.levels.length > 1 ? ', nested as in the real file' : ''}`];
  if (constants.length) {
    parts.push(
      `${constants.join(', ')} kept constant within each entity` +
        (stats.overwritten ? ` (${fmt(stats.overwritten)} rows had no candidate with their entity's values among the generator's draws and took them over)` : ''),
    );
  }
  if (state.sequence) parts.push(`rows in ${state.sequence} order with the real spacing of dates within entities`);
  if (stats.stillBroken) parts.push(`${fmt(stats.stillBroken)} rows break an enforced rule after grouping`);
  if (stats.truncated) parts.push(`the last ${state.levels[0].key} was cut short to give the rows asked for`);
  return parts.join('; ') + '.';
}
