import { readEntityCodes } from '../entities/codes';
import { describeAssembly } from '../entities/describe';
import { fitEntityModel, type EntityCodes, type EntityModelState } from '../entities/model';
import type { SecureRandom } from '../random';
import type { BoundedUnits, ReleaseEntry } from '../release/types';
import type { SampleStats } from '../sampler';
import { entityChain, type EntityChain } from '../schema/entities';
import type { Schema } from '../schema/types';
import type { Table } from '../table';
import type { Stage } from './stage';
import type { GenerateOptions } from './types';
import type { Split } from './split';

/**
 * Share of preprocessing's budget spent on the entities' shape under DP (nested entities per
 * parent, rows per nested entity, date spans and positions); rows per person reuse the privacy
 * unit's release.
 */
export const ENTITY_SHARE = 0.1;

/** The schema's entities with each training row's entity codes and the real keys (never reused). */
export interface EntityInput {
  chain: EntityChain;
  codes: EntityCodes;
  realKeys: Map<string, string[]>;
}

/**
 * Entities stage: read each row's entity at every level, only when the schema has entities (before
 * the split, which holds out whole entities: see split.ts).
 */
export async function readEntities(schema: Schema, options: GenerateOptions, stage: Stage): Promise<EntityInput | undefined> {
  const chain = entityChain(schema);
  if (!chain) return undefined;
  const read = await stage.time('entities', () => readEntityCodes(options.input, schema, chain, { signal: options.signal }));
  return { chain, ...read };
}

/** The entities of the training rows only, in the table's order. */
export function trainingEntities(input: EntityInput, split: Split): EntityInput {
  const rows: number[] = [];
  for (let r = 0; r < split.training.length; r++) if (split.training[r]) rows.push(r);
  return { ...input, codes: input.codes.map((c) => Int32Array.from(rows, (r) => c[r])) };
}

/** Without privacy: the training rows' own shape (whole entities are held out, so it is the real one). */
export function exactEntities(input: EntityInput, schema: Schema, table: Table): EntityModelState {
  return fitEntityModel(input.chain, schema, table, input.codes).state;
}

export interface PrivateEntities {
  state?: EntityModelState;
  releases: ReleaseEntry[];
  rho: number;
  /** Why the shape was or was not kept, for the card. */
  note: string;
}

/**
 * Under DP: the shape released per person (entities/model.ts), only when the top entity is the
 * privacy unit, so that each person's weight in every release is bounded; `rho` is what the shape
 * may spend.
 */
export function privateEntities(
  input: EntityInput,
  schema: Schema,
  table: Table,
  units: BoundedUnits | undefined,
  unitName: string | undefined,
  rho: number,
  noise: SecureRandom,
): PrivateEntities {
  const top = input.chain.levels[0].key.name;
  if (!units || unitName !== top) {
    return {
      releases: [],
      rho: 0,
      note: `Entities are not kept under differential privacy here: the top entity ${top} must be the privacy unit (it is ${unitName ?? 'the row'}), so that each person's weight in the released shape is bounded. Set "privacyUnit": { "column": "${top}" } (or --privacy-unit ${top}) to keep them; rows are generated independently, keys regenerated per row.`,
    };
  }
  const fit = fitEntityModel(
    input.chain,
    schema,
    table,
    input.codes,
    { rho, random: noise, people: units.noisyUnits, topSizes: { counts: units.noisySizes, sigma: units.releases[1].sigma! } },
  );
  return {
    state: fit.state,
    releases: fit.releases,
    rho: fit.rho,
    note: `Entities (${input.chain.levels.map((l) => l.key.name).join(' > ')}): their shape (rows per ${top} from the privacy unit's released histogram; nested entities per parent, rows per entity and date spacing as noisy histograms, each person weighing at most 1 in each) is in the ledger.`,
  };
}

/** How the rows were grouped, for the card's notes. */
export function entityNote(state: EntityModelState | undefined, stats: SampleStats | undefined): string | undefined {
  return state && stats?.entities ? describeAssembly(state, stats.entities) : undefined;
}
