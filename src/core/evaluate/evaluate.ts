import { readCsv } from '../csv/reader';
import { isMissingToken, trimValue } from '../schema/infer';
import type { Schema } from '../schema/types';
import type { Table } from '../table';
import { evaluatePrivacy, identifiersCarried, type PrivacyDetails } from './privacy';
import { columnShapes, evaluateQuality } from './quality';
import type { ChecklistItem, EntitiesResult, Evaluation, RulesResult, Verdict } from './types';
import { evaluateEntities } from './entities';
import { epsilonText } from '../privacy/epsilon-text';
import { evaluateRules } from './rules';
import { defaultTarget, evaluateFairness, evaluateUtility } from './utility';

export interface EvaluateInput {
  schema: Schema;
  /** The real rows the generator learned from (or, for an outside file, the real file). */
  real: Table;
  synthetic: Table;
  /** Real rows kept out of training: makes overfitting and membership inference measurable. */
  holdout?: Table;
  /** A separate real test set for utility (e.g. adult_test.csv); the holdout otherwise. */
  test?: Table;
  names: { real: string; synthetic: string; holdout?: string; test?: string };
  /** Files to check identifier columns in: real values must not reappear in the synthetic file. */
  files?: { real: string; synthetic: string };
  /** Whether the synthetic data carries a differential-privacy guarantee (from the card). */
  privacy?: { differentiallyPrivate: boolean; epsilon?: number; delta?: number };
}

export interface EvaluateOptions {
  target?: string;
  protected?: string;
  seed?: number;
  /**
   * The work bounds of wide files (defaults: PAIR_ROW_VISITS, DISTANCE_CELL_VISITS,
   * UTILITY_ROW_FEATURES). Lower values let a small file show what a wide one does.
   */
  bounds?: { pairRowVisits?: number; distanceCellVisits?: number; utilityRowFeatures?: number };
}

/**
 * Thresholds of the release checklist, in one place. They are deliberately plain rules a
 * governance board can read; the report prints each with the value it was compared to.
 */
export const CHECKLIST_THRESHOLDS = {
  quality: { pass: 0.8, warn: 0.7 },
  utilityRatio: { pass: 0.9, warn: 0.75 },
  /** Exact copies of training rows, as a share of synthetic rows, beyond the holdout base rate. */
  exactCopiesExcess: { pass: 0.001, warn: 0.01 },
  dcrOverfitting: { pass: 0.9, warn: 0.7 },
  dcrBaseline: { pass: 0.3, warn: 0.1 },
  /** DCR baseline protection as a share of the holdout rows' own value (real people never seen). */
  dcrBaselineOfHoldout: { pass: 0.9, warn: 0.7 },
  membershipAuc: { pass: 0.55, warn: 0.6 },
  epsilon: { pass: 3, warn: 10 },
  rareCategories: { warn: 1 },
  /** A soft rule kept in this share fewer synthetic rows than real ones warns. */
  softRuleDrop: 0.01,
  /** Rows per entity: KS complement of the real and synthetic distributions. */
  entityRows: { pass: 0.85, warn: 0.7 },
  /** Share of synthetic entities keeping every per-entity constant (or the real share, if lower). */
  entityConstants: { pass: 0.95, warn: 0.8 },
} as const;

/** Fidelity, privacy and utility of a synthetic table, with the release checklist. */
export async function evaluate(input: EvaluateInput, options: EvaluateOptions = {}): Promise<Evaluation> {
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => T | Promise<T>): Promise<T> => {
    const t = performance.now();
    const result = await work();
    timings[name] = (performance.now() - t) / 1000;
    return result;
  };
  const seed = options.seed ?? 0;
  const { schema, real, synthetic, holdout } = input;

  const quality = await timed('quality', () => evaluateQuality(schema, real, synthetic, { seed, pairRowVisits: options.bounds?.pairRowVisits }));
  const rules = await timed('rules', () => evaluateRules(schema, real, synthetic, seed));
  const privacy: PrivacyDetails = await timed('privacy', () => evaluatePrivacy(schema, real, synthetic, { holdout, seed, distanceCellVisits: options.bounds?.distanceCellVisits }));
  if (input.files) privacy.identifiersCarried = await timed('identifiers', () => carriedIdentifiers(schema, input.files!));
  // Entity keys are identifiers, which tables do not hold: the measures read them from the files.
  const entities =
    input.files && schema.entities?.length
      ? await timed('entities', () =>
          evaluateEntities(schema, {
            real: input.files!.real,
            synthetic: input.files!.synthetic,
            realRows: real.rowIndex,
            realRowCount: real.rowCount,
            syntheticRowCount: synthetic.rowCount,
            names: { real: input.names.real, synthetic: input.names.synthetic },
          }),
        )
      : undefined;

  const test = input.test ?? holdout;
  const testName = input.test ? input.names.test ?? 'test file' : input.names.holdout ?? 'holdout rows';
  const chosen = options.target ? { column: options.target, reason: 'named by the user' } : defaultTarget(schema);
  if (options.target && !schema.columns.some((c) => c.name === options.target)) {
    throw new Error(`--target: there is no column "${options.target}"`);
  }
  const utility =
    chosen && test && test.rowCount > 0
      ? await timed('utility', () =>
          evaluateUtility(schema, real, synthetic, test, { target: chosen.column, targetReason: chosen.reason, testSetName: testName, seed, rowFeatures: options.bounds?.utilityRowFeatures }),
        )
      : undefined;
  let fairness;
  if (options.protected) {
    if (!schema.columns.some((c) => c.name === options.protected)) throw new Error(`--protected: there is no column "${options.protected}"`);
    if (!test) throw new Error('--protected needs a holdout or test set to measure utility per group');
    fairness = await timed('fairness', () =>
      evaluateFairness(schema, real, synthetic, test, {
        column: options.protected!,
        target: chosen?.column,
        seed,
        rowFeatures: options.bounds?.utilityRowFeatures,
        columnShapes: (r, s) => mean(columnShapes(schema, r, s).map((c) => c.score)),
      }),
    );
  }

  const checklist = buildChecklist(quality.score, privacy, utility?.ratio ?? null, input.privacy, { holdout: holdout?.rowCount ?? 0, synthetic: synthetic.rowCount }, rules, entities);
  const worst = (ids: string[]): Verdict => worstOf(checklist.filter((c) => ids.includes(c.id)).map((c) => c.verdict));
  return {
    version: 1,
    realFile: input.names.real,
    syntheticFile: input.names.synthetic,
    ...(input.names.holdout ? { holdoutFile: input.names.holdout } : {}),
    realRows: real.rowCount,
    syntheticRows: synthetic.rowCount,
    ...(holdout ? { holdoutRows: holdout.rowCount } : {}),
    quality,
    privacy,
    ...(utility ? { utility } : {}),
    ...(fairness ? { fairness } : {}),
    rules,
    ...(entities ? { entities } : {}),
    checklist,
    verdicts: {
      fidelity: worst(['quality', 'rules', 'entity-rows', 'entity-nesting', 'entity-constants', 'entity-unavailable']),
      utility: utility ? worst(['utility']) : null,
      privacy: worst(['dp', 'exact-copies', 'dcr-overfitting', 'dcr-baseline', 'membership', 'identifiers', 'entity-keys', 'rare-categories']),
    },
    timings,
  };
}

function buildChecklist(
  quality: number,
  privacy: PrivacyDetails,
  utilityRatio: number | null,
  dp: EvaluateInput['privacy'],
  sizes: { holdout: number; synthetic: number },
  rules: RulesResult,
  entities?: EntitiesResult,
): ChecklistItem[] {
  const t = CHECKLIST_THRESHOLDS;
  const items: ChecklistItem[] = [];
  const higher = (value: number, pass: number, warn: number): Verdict => (value >= pass ? 'pass' : value >= warn ? 'warn' : 'fail');
  const lower = (value: number, pass: number, warn: number): Verdict => (value <= pass ? 'pass' : value <= warn ? 'warn' : 'fail');
  const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;

  // The formal guarantee is the privacy evidence: first, before the empirical checks.
  if (dp) {
    items.push(
      dp.differentiallyPrivate && dp.epsilon !== undefined
        ? {
            id: 'dp',
            label: 'Differential privacy guarantee: the formal bound on what any one person changes (the checks below are empirical)',
            verdict: lower(dp.epsilon, t.epsilon.pass, t.epsilon.warn),
            value: `${epsilonText(dp.epsilon)}${dp.delta !== undefined ? `, δ ${dp.delta.toExponential(1)}` : ''}`,
            threshold: `pass ε ≤ ${t.epsilon.pass}, warn ε ≤ ${t.epsilon.warn}`,
          }
        : {
            id: 'dp',
            label: 'Differential privacy guarantee',
            verdict: 'fail',
            value: 'none: trained without differential privacy',
            threshold: 'a formal (ε, δ) guarantee is required for release of sensitive data',
          },
    );
  }
  items.push({
    id: 'quality',
    label: 'Fidelity: overall quality score (SDMetrics-compatible)',
    verdict: higher(quality, t.quality.pass, t.quality.warn),
    value: quality.toFixed(3),
    threshold: `pass ≥ ${t.quality.pass}, warn ≥ ${t.quality.warn}`,
  });
  if (rules.rules.length) {
    // An enforced rule broken in the synthetic file fails; a soft rule kept clearly less often than
    // in the real rows warns.
    const broken = rules.rules.filter((r) => r.enforce && r.synthetic.broken > 0);
    const softWorse = rules.rules.filter((r) => !r.enforce && r.synthetic.share < r.real.share - t.softRuleDrop);
    const enforced = rules.rules.filter((r) => r.enforce).length;
    items.push({
      id: 'rules',
      label: `Rules${rules.mined ? ' mined from the real file' : ''} (dates in order, computed columns, ...) kept in the synthetic rows`,
      verdict: broken.length ? 'fail' : softWorse.length ? 'warn' : 'pass',
      value: broken.length
        ? `${broken.length} of ${enforced} enforced rules broken (${pct(rules.syntheticRowsBreakingAny.share)} of rows), e.g. ${broken[0].rule}`
        : `all ${enforced} enforced rules kept${softWorse.length ? `; ${softWorse.length} soft rule(s) kept less often than in the real rows` : ''}`,
      threshold: `enforced rules: no row may break one; soft rules: warn when kept in more than ${t.softRuleDrop * 100} percentage point fewer rows than in the real file`,
    });
  }
  if (entities) items.push(...entityChecks(entities));
  if (utilityRatio !== null) {
    items.push({
      id: 'utility',
      label: 'Utility: model trained on synthetic vs on real data, tested on real rows',
      verdict: higher(utilityRatio, t.utilityRatio.pass, t.utilityRatio.warn),
      value: `${(utilityRatio * 100).toFixed(1)} % of real`,
      threshold: `pass ≥ ${t.utilityRatio.pass * 100} %, warn ≥ ${t.utilityRatio.warn * 100} %`,
    });
  }
  // In low-cardinality data a fresh row often equals some training row by chance: unseen real
  // people (holdout rows) measure that chance directly, with the same training rows. Their rate
  // and the synthetic rate are samples (h and s rows): the excess allows three standard errors of
  // their difference, so chance alone fails a good generator about once in 700 runs.
  const unseen = privacy.holdoutCopiesOfTraining;
  const base = unseen?.rate ?? 0;
  const allowance = unseen && sizes.holdout > 0 && sizes.synthetic > 0 ? 3 * Math.sqrt(base * (1 - base) * (1 / sizes.holdout + 1 / sizes.synthetic)) : 0;
  const excess = Math.max(0, privacy.exactCopies.rate - base - allowance);
  items.push({
    id: 'exact-copies',
    label: 'Synthetic rows identical to a training row, beyond the rate of unseen real rows (holdout)',
    verdict: lower(excess, t.exactCopiesExcess.pass, t.exactCopiesExcess.warn),
    value: `${privacy.exactCopies.count} rows (${pct(privacy.exactCopies.rate)}; holdout rows ${pct(base)}${allowance > 0 ? ` ± ${pct(allowance)}` : ''})`,
    threshold: `pass excess ≤ ${pct(t.exactCopiesExcess.pass)}, warn ≤ ${pct(t.exactCopiesExcess.warn)}`,
  });
  const overfitting = privacy.dcrOverfittingProtectionAdjusted ?? privacy.dcrOverfittingProtection;
  if (overfitting !== undefined && overfitting !== null) {
    items.push({
      id: 'dcr-overfitting',
      label: 'Synthetic rows no closer to training rows than to unseen rows (DCR overfitting protection, size-adjusted)',
      verdict: higher(overfitting, t.dcrOverfitting.pass, t.dcrOverfitting.warn),
      value: overfitting.toFixed(3),
      threshold: `pass ≥ ${t.dcrOverfitting.pass}, warn ≥ ${t.dcrOverfitting.warn}`,
    });
  }
  if (privacy.dcrBaselineProtection !== null) {
    // A crude measure: in data where real people resemble each other (few columns, common values)
    // unseen real rows sit as close to the training rows as copies would. Judged against the
    // holdout's own value, it fails only when the synthetic rows are closer than real people are.
    const own = privacy.dcrBaselineProtection;
    const unseen = privacy.holdoutDcrBaselineProtection ?? null;
    const bar = (absolute: number, share: number): number => (unseen === null ? absolute : Math.min(absolute, share * unseen));
    const passBar = bar(t.dcrBaseline.pass, t.dcrBaselineOfHoldout.pass);
    const warnBar = Math.min(passBar, bar(t.dcrBaseline.warn, t.dcrBaselineOfHoldout.warn));
    items.push({
      id: 'dcr-baseline',
      label:
        unseen === null
          ? 'Distance to closest real record, relative to random data (DCR baseline protection)'
          : 'Distance to closest real record, relative to random data (DCR baseline protection), compared with unseen real rows (holdout)',
      verdict: higher(own, passBar, warnBar),
      value: unseen === null ? own.toFixed(3) : `${own.toFixed(3)} (holdout rows: ${unseen.toFixed(3)})`,
      threshold:
        unseen === null
          ? `pass ≥ ${t.dcrBaseline.pass}, warn ≥ ${t.dcrBaseline.warn}`
          : `pass ≥ ${t.dcrBaseline.pass} or ≥ ${t.dcrBaselineOfHoldout.pass * 100} % of the holdout's value (${passBar.toFixed(3)}), ` +
            `warn ≥ ${t.dcrBaseline.warn} or ≥ ${t.dcrBaselineOfHoldout.warn * 100} % of it (${warnBar.toFixed(3)})`,
    });
  }
  if (privacy.membershipInference) {
    const mia = privacy.membershipInference;
    const auc = Math.max(mia.distance.auc, mia.densityRatio.auc);
    const low = mia.distance.auc >= mia.densityRatio.auc ? mia.distance.low : mia.densityRatio.low;
    items.push({
      id: 'membership',
      label: 'Membership inference attack (ROC AUC; 0.5 = learns nothing)',
      verdict: lower(low, t.membershipAuc.pass, t.membershipAuc.warn),
      value: `${auc.toFixed(3)} (95 % CI lower bound ${low.toFixed(3)})`,
      threshold: `pass lower bound ≤ ${t.membershipAuc.pass}, warn ≤ ${t.membershipAuc.warn}`,
    });
  }
  items.push({
    id: 'identifiers',
    label: 'Real identifier values carried into the synthetic file',
    verdict: privacy.identifiersCarried.length ? 'fail' : 'pass',
    value: privacy.identifiersCarried.length ? privacy.identifiersCarried.join(', ') : 'none',
    threshold: 'none allowed',
  });
  items.push({
    id: 'rare-categories',
    label: 'Rare real categories (seen fewer than 5 times) present in the synthetic file',
    verdict: privacy.rareCategories.length >= t.rareCategories.warn ? 'warn' : 'pass',
    value: privacy.rareCategories.length ? `${privacy.rareCategories.length}: ${privacy.rareCategories.slice(0, 3).map((r) => `${r.column}=${r.value}`).join(', ')}${privacy.rareCategories.length > 3 ? ', ...' : ''}` : 'none',
    threshold: 'warn when any appear (small cells can identify people)',
  });
  return items;
}

/** Checklist lines for the entities: rows per entity, nesting, constants (fidelity) and reused keys (privacy). */
function entityChecks(result: EntitiesResult): ChecklistItem[] {
  const t = CHECKLIST_THRESHOLDS;
  const items: ChecklistItem[] = [];
  const pct = (x: number): string => (x > 0 && x < 0.0005 ? '<0.1 %' : `${(x * 100).toFixed(1)} %`);
  const sampled = result.sampled ? ` (${result.sampled.note})` : '';
  const measured = result.entities.filter((e) => !e.unavailable);
  const unavailable = result.entities.filter((e) => e.unavailable);
  if (unavailable.length) {
    items.push({
      id: 'entity-unavailable',
      label: 'Entities that could not be measured',
      verdict: 'warn',
      value: unavailable.map((e) => `${e.key}: ${e.unavailable}`).join('; '),
      threshold: 'every entity of the schema measured',
    });
  }
  const sized = measured.filter((e) => e.rowsPerEntity);
  if (sized.length) {
    const scores = sized.map((e) => e.rowsPerEntity!.ksComplement ?? 0);
    const worst = Math.min(...scores);
    items.push({
      id: 'entity-rows',
      label: 'Rows per entity (patient, admission, ...) distributed as in the real file (KS complement)',
      verdict: worst >= t.entityRows.pass ? 'pass' : worst >= t.entityRows.warn ? 'warn' : 'fail',
      value:
        sized
          .map((e) => {
            const r = e.rowsPerEntity!;
            return `${e.key}: ${(r.ksComplement ?? 0).toFixed(3)} (median ${r.real.median ?? '-'} real, ${r.synthetic.median ?? '-'} synthetic rows; ${r.real.entities.toLocaleString('en-GB')} vs ${r.synthetic.entities.toLocaleString('en-GB')} entities)`;
          })
          .join('; ') + sampled,
      threshold: `pass ≥ ${t.entityRows.pass}, warn ≥ ${t.entityRows.warn}`,
    });
  }
  const nested = measured.filter((e) => e.nesting);
  if (nested.length) {
    // Broken nesting fails whenever the real file keeps it better: a key split across parents is
    // structure the synthetic file invented.
    const broken = nested.filter((e) => (e.nesting!.synthetic.share ?? 1) < (e.nesting!.real.share ?? 1));
    const unmeasured = nested.filter((e) => e.nesting!.synthetic.share === null && e.nesting!.real.share !== null);
    items.push({
      id: 'entity-nesting',
      label: 'Nested keys kept: each synthetic child entity (admission) of two rows or more belongs to one parent (patient)',
      verdict: broken.length ? 'fail' : unmeasured.length ? 'warn' : 'pass',
      value: nested
        .map((e) => {
          const n = e.nesting!;
          return n.synthetic.share === null
            ? `${e.key} in ${n.parent}: not measurable, no synthetic ${e.key} has two rows or more`
            : `${e.key} in ${n.parent}: ${pct(n.synthetic.share)} of ${n.synthetic.entities.toLocaleString('en-GB')} (${n.synthetic.broken.toLocaleString('en-GB')} split across parents; real ${n.real.share === null ? '-' : pct(n.real.share)})`;
        })
        .join('; '),
      threshold: 'no synthetic child entity with two parents (unless the real file has them too)',
    });
  }
  const constant = measured.filter((e) => e.constants?.length && e.constantsKept);
  if (constant.length) {
    const verdicts: Verdict[] = constant.map((e) => {
      const { real, synthetic } = e.constantsKept!;
      if (synthetic.share === null) return 'warn';
      const pass = Math.min(t.entityConstants.pass, real.share ?? 1);
      return synthetic.share >= pass ? 'pass' : synthetic.share >= Math.min(t.entityConstants.warn, pass) ? 'warn' : 'fail';
    });
    items.push({
      id: 'entity-constants',
      label: 'Per-entity constants kept: columns constant within each real entity (sex, treatment arm) constant within each synthetic one',
      verdict: worstOf(verdicts),
      value: constant
        .map((e) => {
          const { real, synthetic } = e.constantsKept!;
          const columns = e.constants!.map((c) => c.column).join(', ');
          return synthetic.share === null
            ? `${e.key} (${columns}): not measurable, no synthetic ${e.key} has two rows or more`
            : `${e.key} (${columns}): ${pct(synthetic.share)} of ${synthetic.entities.toLocaleString('en-GB')} synthetic entities with 2+ rows (real ${real.share === null ? '-' : pct(real.share)})`;
        })
        .join('; '),
      threshold: `pass ≥ ${t.entityConstants.pass * 100} % (or the real share, if lower), warn ≥ ${t.entityConstants.warn * 100} %`,
    });
  }
  const keyed = measured.filter((e) => e.keysReused);
  if (keyed.length) {
    const reused = keyed.filter((e) => e.keysReused!.count > 0);
    items.push({
      id: 'entity-keys',
      label: 'Synthetic entity keys equal to a real key (each synthetic key should be new)',
      verdict: reused.length ? 'warn' : 'pass',
      value: reused.length ? reused.map((e) => `${e.key}: ${e.keysReused!.count.toLocaleString('en-GB')} (${pct(e.keysReused!.share)})`).join('; ') : 'none',
      threshold: 'warn when any appear (a real key can link a synthetic entity to a real record)',
    });
  }
  return items;
}

function worstOf(verdicts: Verdict[]): Verdict {
  if (verdicts.includes('fail')) return 'fail';
  if (verdicts.includes('warn')) return 'warn';
  return 'pass';
}

function mean(values: (number | null)[]): number {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : NaN;
}

/** Identifier columns whose real values reappear in the synthetic file. */
async function carriedIdentifiers(schema: Schema, files: { real: string; synthetic: string }): Promise<string[]> {
  // Regenerated counters and row numbers overlap real numbering by construction, revealing
  // nothing; direct identifiers, UUIDs and padded codes must never reappear.
  const columns = schema.columns.filter(
    (c) => c.kind === 'identifier' && !c.exclude && (c.identifier?.direct || c.identifier?.type === 'uuid' || c.identifier?.type === 'zero-padded'),
  );
  if (!columns.length) return [];
  const realValues = new Map(columns.map((c) => [c.name, new Set<string>()]));
  const syntheticValues = new Map(columns.map((c) => [c.name, [] as string[]]));
  const collect = async (file: string, add: (name: string, value: string) => void): Promise<void> => {
    let positions: { name: string; index: number }[] = [];
    await readCsv(
      file,
      (fields) => {
        for (const { name, index } of positions) {
          const value = trimValue(fields[index]);
          if (!isMissingToken(value)) add(name, value);
        }
      },
      {
        onHeader: (header) => {
          positions = columns.map((c) => ({ name: c.name, index: header.names.indexOf(c.name) })).filter((p) => p.index >= 0);
        },
      },
    );
  };
  await collect(files.real, (name, value) => realValues.get(name)!.add(value));
  await collect(files.synthetic, (name, value) => syntheticValues.get(name)!.push(value));
  return identifiersCarried(realValues, syntheticValues);
}
