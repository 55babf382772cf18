/**
 * Rules found in the rows: proposed when they hold in (almost) every row AND would break often if
 * the columns were unrelated (measured by pairing each row with another row's value), so
 * `age ≤ income` or "a code column determines a constant" are never proposed.
 *
 * Bounded work on wide files (MINING_LIMITS): candidates come from at most 40 numeric/date
 * columns (orders: 780 pairs; differences and sums: 40 × 39 × 38 triples, each first tried on
 * 32 rows) and at most 40 key columns of at most 200 distinct values (determines: 1,560 ordered
 * pairs; missingWhen: parents of at most 20 values for at most 100 columns with missing values), counted on a sample of at most 50,000 rows.
 * The shares of the rules kept are then measured on every row of the table.
 */
import { Random, subsampleRows } from '../random';
import type { ColumnSchema, Rule, Schema } from '../schema/types';
import { isModelled, isNumericColumn, type ColumnData, type Table } from '../table';
import { arithmeticTolerance, countBroken, unitClass } from './check';

export const MINING_LIMITS = {
  numericColumns: 40,
  keyColumns: 40,
  keyValues: 200,
  parentValues: 20,
  /** Columns with missing values whose parent is looked for. */
  missingTargets: 100,
  sampleRows: 50_000,
  /** A rule binding fewer rows than this is not proposed. */
  minRows: 20,
  /** Shuffled, the rule must break in at least this share of the rows it binds... */
  chanceShare: 0.05,
  /** ...and in at least this many rows. */
  chanceRows: 10,
  /** Proposed as soft (reported, not enforced) when real rows break it, up to this share. */
  softShare: 0.001,
  /**
   * The same for an order between dates, whose later date the rule layer then learns as a signed
   * difference from the earlier (not enforced): MIMIC's prescriptions end before they start in
   * 39 of 10,398 rows (0.4 %), and without the rule the tVAE, drawing the two dates apart over a
   * century of shifted dates, wrote an end before its start in 5,049 of 10,398 rows.
   */
  softDateOrderShare: 0.01,
  /** Differences and sums are first tried on this many rows. */
  quickRows: 32,
  /**
   * A value of one column fixing another (a partial determines rule) is proposed when, unrelated,
   * all its rows agreeing would have a chance below this, divided by the number of values tested
   * (Bonferroni), and it binds at least chanceRows rows.
   */
  partialAlpha: 0.01,
} as const;

/** What one mining examined: within MINING_LIMITS whatever the file's width or length. */
export interface MiningWork {
  /** Rows counted (a sample of at most MINING_LIMITS.sampleRows). */
  rows: number;
  /** Pairs of number and date columns tested for an order. */
  orderPairs: number;
  /** Differences and sums tried on the first rows; and those counted on every sampled row. */
  formulasTried: number;
  formulasCounted: number;
  /** Ordered pairs of key columns tested for `determines`. */
  determinesPairs: number;
  /** Parent columns tested for a column's missingness. */
  missingParents: number;
}

/**
 * Propose the rules `table` keeps (aligned with `schema`), each with the share of rows that keep
 * it. Exact rules are enforced; rules a few rows break (at most MINING_LIMITS.softShare, or
 * softDateOrderShare for an order between dates) are soft.
 * `work`, when given, receives what was examined.
 */
export function mineRules(schema: Schema, table: Table, seed = 0, work: MiningWork = newMiningWork()): Rule[] {
  const random = new Random(seed);
  const rows = subsampleRows(table.rowCount, MINING_LIMITS.sampleRows, random) ?? Int32Array.from({ length: table.rowCount }, (_, i) => i);
  const { modelled, numeric, keyColumns } = candidateColumns(schema, (i) => table.columns[i].type !== 'none');
  const keys = keyColumns
    .map(({ c, i }) => ({ c, i, coded: codeColumn(table.columns[i], rows) }))
    .filter((k) => k.coded.levels.length <= MINING_LIMITS.keyValues + 1);
  work.rows = rows.length;
  const found: Rule[] = [
    ...mineOrders(numeric, table, rows, random, work),
    ...mineArithmetic(numeric, table, rows, random, work),
    ...mineDeterminers(keys, rows.length, undefined, work),
    ...mineMissingness(modelled, keys, table, rows, undefined, undefined, work),
  ];
  // Shares on every row, not just the sample; a rule the full table breaks too often is dropped.
  const kept: Rule[] = [];
  const index = new Map(schema.columns.map((c, i) => [c.name, i]));
  for (const rule of found) {
    const { broken, share } = countBroken(schema, rule, table);
    const dates = rule.kind === 'order' && unitClass(schema.columns[index.get(rule.low)!]) !== 'number';
    if (broken > (dates ? MINING_LIMITS.softDateOrderShare : MINING_LIMITS.softShare) * table.rowCount) continue;
    kept.push({ ...rule, enforce: broken === 0, realShare: share });
  }
  return kept;
}

export function newMiningWork(): MiningWork {
  return { rows: 0, orderPairs: 0, formulasTried: 0, formulasCounted: 0, determinesPairs: 0, missingParents: 0 };
}

/** The columns mining looks at (within MINING_LIMITS), so a caller can load only those. */
export function candidateColumns(schema: Schema, loaded: (index: number) => boolean = () => true): { modelled: Numeric[]; numeric: Numeric[]; keyColumns: Numeric[]; all: Set<number> } {
  const modelled = schema.columns.map((c, i) => ({ c, i })).filter(({ c, i }) => isModelled(c) && loaded(i));
  const numeric = modelled.filter(({ c }) => isNumericColumn(c)).slice(0, MINING_LIMITS.numericColumns);
  const keyColumns = modelled.filter(({ c }) => isKeyCandidate(c)).slice(0, MINING_LIMITS.keyColumns);
  const targets = modelled.filter(({ c }) => c.missingCount > 0).slice(0, MINING_LIMITS.missingTargets);
  return { modelled: targets, numeric, keyColumns, all: new Set([...numeric, ...keyColumns, ...targets].map(({ i }) => i)) };
}

function isKeyCandidate(c: ColumnSchema): boolean {
  if (c.kind === 'categorical' || c.kind === 'boolean') return true;
  return (c.kind === 'integer' || c.kind === 'continuous') && c.distinctExact && c.distinctCount <= MINING_LIMITS.keyValues;
}

interface Coded {
  /** Code per sampled row; levels.length - 1... : `levels[code]`, null for missing. */
  codes: Int32Array;
  levels: (string | null)[];
}

/** Sampled rows of a key column as small integer codes, missing being a value of its own. */
function codeColumn(data: ColumnData, rows: Int32Array): Coded {
  const index = new Map<string | null, number>();
  const levels: (string | null)[] = [];
  const codes = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    const value =
      data.type === 'categorical' ? (data.codes[r] < 0 ? null : data.levels[data.codes[r]]) : data.type === 'numeric' && !Number.isNaN(data.values[r]) ? String(data.values[r]) : null;
    let code = index.get(value);
    if (code === undefined) {
      index.set(value, (code = levels.length));
      levels.push(value);
      if (levels.length > MINING_LIMITS.keyValues + 1) break;
    }
    codes[k] = code;
  }
  return { codes, levels };
}

type Numeric = { c: ColumnSchema; i: number };

const base = { source: 'inferred' as const, enforce: true };

function mineOrders(numeric: Numeric[], table: Table, rows: Int32Array, random: Random, work: MiningWork): Rule[] {
  const rules: Rule[] = [];
  for (let x = 0; x < numeric.length; x++) {
    for (let y = x + 1; y < numeric.length; y++) {
      const a = numeric[x];
      const b = numeric[y];
      if (unitClass(a.c) !== unitClass(b.c)) continue;
      work.orderPairs++;
      const va = (table.columns[a.i] as { values: Float64Array }).values;
      const vb = (table.columns[b.i] as { values: Float64Array }).values;
      // Counted first; the rows holding both are listed only for the few pairs that pass (most
      // pairs of a wide file do not, and listing them was most of the pass's time).
      let below = 0;
      let above = 0;
      let bound = 0;
      for (let k = 0; k < rows.length; k++) {
        const r = rows[k];
        const p = va[r];
        const q = vb[r];
        // NaN compares false both ways: a row missing either value is skipped.
        if (p < q) below++;
        else if (p > q) above++;
        else if (p !== q) continue;
        bound++;
      }
      if (bound < MINING_LIMITS.minRows) continue;
      const tolerated = (unitClass(a.c) === 'number' ? MINING_LIMITS.softShare : MINING_LIMITS.softDateOrderShare) * bound;
      const [low, high, lowValues, highValues] =
        above <= tolerated && below > tolerated ? [a, b, va, vb] : below <= tolerated && above > tolerated ? [b, a, vb, va] : [];
      if (!low) continue;
      const both: number[] = [];
      for (let k = 0; k < rows.length; k++) {
        const r = rows[k];
        if (!Number.isNaN(va[r]) && !Number.isNaN(vb[r])) both.push(r);
      }
      // Unrelated columns: each row's low value against another row's high value.
      const partner = both.slice();
      random.shuffle(partner);
      let chance = 0;
      for (let k = 0; k < both.length; k++) if (lowValues![both[k]] > highValues![partner[k]]) chance++;
      if (!isUnlikelyByChance(chance, both.length)) continue;
      rules.push({ kind: 'order', ...base, low: low.c.name, high: high!.c.name });
    }
  }
  return rules;
}

function isUnlikelyByChance(brokenWhenShuffled: number, bound: number, share: number = MINING_LIMITS.chanceShare): boolean {
  return brokenWhenShuffled >= MINING_LIMITS.chanceRows && brokenWhenShuffled >= share * bound;
}

/**
 * c = a − b and c = a + b among numeric columns. A date column is never the result (discharge =
 * admission + stay is found as stay = discharge − admission); a sum of two dates means nothing.
 */
function mineArithmetic(numeric: Numeric[], table: Table, rows: Int32Array, random: Random, work: MiningWork): Rule[] {
  const rules: Rule[] = [];
  // Triples of columns already stated, by their sorted schema indices (one number each).
  const seen = new Set<number>();
  const width = Math.max(...numeric.map((n) => n.i), 0) + 1;
  const tripleKey = (x: number, y: number, z: number): number => {
    const low = Math.min(x, y, z);
    const high = Math.max(x, y, z);
    return (low * width + (x + y + z - low - high)) * width + high;
  };
  const values = (n: Numeric): Float64Array => (table.columns[n.i] as { values: Float64Array }).values;
  // c = a − b is also a = c + b: the result is taken as the rightmost column (totals and stays
  // are written after their parts).
  for (const c of numeric.slice().reverse()) {
    if (unitClass(c.c) !== 'number') continue;
    const tolerance = arithmeticTolerance(c.c);
    const vc = values(c);
    for (const a of numeric) {
      if (a === c) continue;
      for (const b of numeric) {
        if (b === c || b === a) continue;
        const sameUnit = unitClass(a.c) === unitClass(b.c);
        for (const kind of ['difference', 'sum'] as const) {
          if (kind === 'sum' && (b.i < a.i || unitClass(a.c) !== 'number' || !sameUnit)) continue;
          if (kind === 'difference' && !sameUnit) continue;
          const key = tripleKey(c.i, a.i, b.i);
          if (seen.has(key)) continue;
          const va = values(a);
          const vb = values(b);
          const sign = kind === 'sum' ? 1 : -1;
          work.formulasTried++;
          // The first rows first: nearly every formula breaks on its first row.
          let tried = 0;
          let ok = true;
          for (let k = 0; k < rows.length && tried < MINING_LIMITS.quickRows; k++) {
            const r = rows[k];
            if (Number.isNaN(va[r]) || Number.isNaN(vb[r])) continue;
            tried++;
            if (!(Math.abs(vc[r] - (va[r] + sign * vb[r])) <= tolerance)) {
              ok = false;
              break;
            }
          }
          if (!ok || tried < Math.min(MINING_LIMITS.quickRows, MINING_LIMITS.minRows)) continue;
          const holds = (r: number, s: number): boolean => Math.abs(vc[r] - (va[r] + sign * vb[s])) <= tolerance;
          work.formulasCounted++;
          const bound: number[] = [];
          let broken = 0;
          for (const r of rows) {
            if (Number.isNaN(va[r]) || Number.isNaN(vb[r])) continue;
            bound.push(r);
            if (!holds(r, r)) broken++;
          }
          if (bound.length < MINING_LIMITS.minRows || broken > MINING_LIMITS.softShare * bound.length) continue;
          const partner = bound.slice();
          random.shuffle(partner);
          let chance = 0;
          for (let k = 0; k < bound.length; k++) if (!Number.isNaN(vb[partner[k]]) && !holds(bound[k], partner[k])) chance++;
          if (!isUnlikelyByChance(chance, bound.length)) continue;
          seen.add(key);
          rules.push({ kind, ...base, column: c.c.name, of: [a.c.name, b.c.name] });
        }
      }
    }
  }
  return rules;
}

type Key = { c: ColumnSchema; i: number; coded: Coded };

/**
 * `from` determines `to` when each value of `from` goes with one value of `to` (TANE's g3 error
 * at most the soft share), and unrelated columns would not: 1 − Σ max share of `to` per value
 * of `from`, with `to`'s overall distribution, must be large. Otherwise the values of `from`
 * with at least 10 expected breaks that do fix `to` make a rule for those values only.
 */
function mineDeterminers(
  keys: Key[],
  n: number,
  tolerance: { rule: number; value: number; support: number; chanceShare: number } = { rule: MINING_LIMITS.softShare, value: 0, support: MINING_LIMITS.chanceRows, chanceShare: MINING_LIMITS.chanceShare },
  work: MiningWork = newMiningWork(),
): Rule[] {
  const rules: Rule[] = [];
  // Partial rules wait for the count of values tested, which sets the significance threshold.
  const partials: { from: Key; to: Key; levels: { level: number; logChance: number; unrelatedBreaks: number }[] }[] = [];
  let tested = 0;
  // Each column's value counts once, not once per pair: the pair loop then counts cells alone.
  const totals = keys.map((key) => {
    const counts = new Int32Array(key.coded.levels.length);
    const codes = key.coded.codes;
    for (let k = 0; k < n; k++) counts[codes[k]]++;
    return counts;
  });
  keys.forEach((from, fromIndex) => {
    const kf = from.coded.levels.length;
    const fromCodes = from.coded.codes;
    const fromTotals = totals[fromIndex];
    keys.forEach((to, toIndex) => {
      if (to === from) return;
      const kt = to.coded.levels.length;
      if (kt < 2 || kf < 2) return;
      work.determinesPairs++;
      const cells = new Int32Array(kf * kt);
      const toTotals = totals[toIndex];
      const toCodes = to.coded.codes;
      for (let k = 0; k < n; k++) cells[fromCodes[k] * kt + toCodes[k]]++;
      const topShare = Math.max(...toTotals) / n;
      if (n / kf < 5) return; // nearly a key: every value alone fixes everything
      let errors = 0;
      const fixed: { level: number; broken: number; logChance: number; unrelatedBreaks: number }[] = [];
      for (let f = 0; f < kf; f++) {
        let max = 0;
        let at = 0;
        for (let t = 0; t < kt; t++) if (cells[f * kt + t] > max) [max, at] = [cells[f * kt + t], t];
        const broken = fromTotals[f] - max;
        errors += broken;
        // Unrelated, each of the value's rows takes `at` with chance toTotals[at] / n.
        fixed.push({ level: f, broken, logChance: fromTotals[f] * Math.log(toTotals[at] / n), unrelatedBreaks: fromTotals[f] * (1 - toTotals[at] / n) });
      }
      const chance = n * (1 - topShare);
      if (errors <= tolerance.rule * n && isUnlikelyByChance(chance, n, tolerance.chanceShare)) {
        rules.push({ kind: 'determines', ...base, from: from.c.name, to: to.c.name });
        return;
      }
      // A handful of values of a number fixing another column is a pattern, not a rule a reader would state.
      if (isNumericColumn(from.c)) return;
      const values = fixed.filter((f) => from.coded.levels[f.level] !== null);
      tested += values.length;
      // A significance test, not a fixed count of expected breaks: the same rule then clears it in
      // a run's training rows as in the whole file (synthea: "Mr." fixes gender in 19 of 89 rows).
      // Read off a model's pool, a value must also break often were the columns unrelated: a `to`
      // the noisy model draws for nearly every row (or a cell the noise emptied) fixes nothing.
      const partial = values.filter(
        (f) =>
          f.broken <= tolerance.value * fromTotals[f.level] &&
          fromTotals[f.level] >= tolerance.support &&
          (!tolerance.value || f.unrelatedBreaks >= tolerance.chanceShare * fromTotals[f.level]),
      );
      if (partial.length && partial.length < kf) partials.push({ from, to, levels: partial });
    });
  });
  const threshold = Math.log(MINING_LIMITS.partialAlpha / Math.max(1, tested));
  for (const { from, to, levels } of partials) {
    const significant = levels.filter((f) => f.logChance <= threshold);
    if (significant.length) rules.push({ kind: 'determines', ...base, from: from.c.name, to: to.c.name, when: significant.map((f) => from.coded.levels[f.level]!) });
  }
  return rules;
}

/**
 * `column` missing unless `parent` takes one of a few values: the parent's values with which the
 * column is never present must cover rows where, unrelated, it would be present at least 10
 * times. One rule per column: the parent that explains the most rows.
 */
function mineMissingness(modelled: Numeric[] /* columns with missing values */, keys: Key[], table: Table, rows: Int32Array, tolerance = 0, support = 1, work: MiningWork = newMiningWork()): Rule[] {
  const rules: Rule[] = [];
  // Each parent's value counts, once for every target.
  const parentTotals = new Map<Key, Int32Array>();
  for (const parent of keys) {
    const totals = new Int32Array(parent.coded.levels.length);
    for (let k = 0; k < rows.length; k++) totals[parent.coded.codes[k]]++;
    parentTotals.set(parent, totals);
  }
  for (const target of modelled) {
    const present = new Uint8Array(rows.length);
    let presentCount = 0;
    const data = table.columns[target.i];
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      const missing = data.type === 'numeric' ? Number.isNaN(data.values[r]) : data.type === 'categorical' ? data.codes[r] < 0 : true;
      if (!missing) {
        present[k] = 1;
        presentCount++;
      }
    }
    if (presentCount === 0 || presentCount === rows.length) continue;
    let best: { parent: Key; allowed: string[]; covered: number } | undefined;
    for (const parent of keys) {
      // As for determines: a few values of a number blanking a column is a pattern, not a rule.
      if (parent.i === target.i || parent.coded.levels.length > MINING_LIMITS.parentValues || isNumericColumn(parent.c)) continue;
      work.missingParents++;
      const presentWith = new Int32Array(parent.coded.levels.length);
      const totals = parentTotals.get(parent)!;
      const codes = parent.coded.codes;
      for (let k = 0; k < rows.length; k++) presentWith[codes[k]] += present[k];
      // A value allows the column when it is present in more than `tolerance` of the value's rows, and in `support` rows.
      const seenPresent = Array.from(presentWith, (p, code) => p > tolerance * totals[code] && p >= support);
      let covered = 0;
      const allowed: string[] = [];
      parent.coded.levels.forEach((level, code) => {
        if (seenPresent[code]) {
          if (level !== null) allowed.push(level);
        } else if (presentWith[code] <= tolerance * totals[code]) covered += totals[code];
        // Otherwise too rare to tell: not allowed (blanked when enforced), but no evidence for the rule.
      });
      if (seenPresent.some((s, code) => s && parent.coded.levels[code] === null)) continue; // present with a missing parent
      const expected = (covered * presentCount) / rows.length;
      if (!allowed.length || !isUnlikelyByChance(expected, covered) || covered < Math.max(MINING_LIMITS.minRows, support)) continue;
      if (!best || covered > best.covered) best = { parent, allowed, covered };
    }
    if (!best) continue;
    // Every value of the parent allows the column: the rule is the parent's presence, which a
    // value the list would not name (a DP run's "Other", a code new to a later file) keeps too.
    const everyValue = best.allowed.length === best.parent.coded.levels.filter((level) => level !== null).length;
    rules.push({ kind: 'missingWhen', ...base, column: target.c.name, parent: best.parent.c.name, ...(everyValue ? {} : { presentOnlyWhen: best.allowed }) });
  }
  return rules;
}

/**
 * Under DP, the determines and missingWhen rules a pool of rows sampled from the released model
 * keeps (post-processing, no privacy cost). Candidates come from the structure and the pool only,
 * within MINING_LIMITS: categorical columns and columns with at most 200 values in the pool (at
 * most 40: 1,560 ordered pairs), and columns missing in the pool (at most 100) under parents of at
 * most 20 values. A rule is kept when the pool keeps it in at least 99 % of the rows it binds
 * (MODEL_RULE_TOLERANCE); a value fixing `to` for some values only needs 100 pool rows and, like
 * a whole rule, to break in 20 % of its rows were the columns unrelated (MODEL_RULE_CHANCE_SHARE) (a `to` the model nearly
 * collapsed to one value fixes nothing); a value of a parent
 * allows a column only with at least 100 pool rows holding both (MODEL_RULE_SUPPORT), so a value
 * the model draws rarely (such as the privacy's `Other`) is blanked, not allowed, and the values
 * blanking it must hold 100 pool rows too; and when unrelated columns would break it often (as in mining): a column the model
 * collapsed to one value is never determined, so such a column makes no rule. Enforcing a kept
 * rule changes at most 1 % of the rows it binds.
 */
export function mineFromModel(schema: Schema, pool: Table, skip: (column: string) => boolean, unreleased?: string): Rule[] {
  const rows = Int32Array.from({ length: pool.rowCount }, (_, i) => i);
  // The pool's own facts, not the private rows': how many values and missing cells it holds.
  const poolSchema: Schema = {
    ...schema,
    columns: schema.columns.map((c, i) => {
      const coded = codeColumn(pool.columns[i], rows);
      return { ...c, distinctCount: coded.levels.filter((l) => l !== null).length, distinctExact: true, missingCount: coded.levels.includes(null) ? 1 : 0 };
    }),
  };
  const { modelled, keyColumns } = candidateColumns(poolSchema, (i) => pool.columns[i].type !== 'none' && !skip(schema.columns[i].name));
  const keys = keyColumns
    .map(({ c, i }) => ({ c, i, coded: codeColumn(pool.columns[i], rows) }))
    .filter((k) => k.coded.levels.length <= MINING_LIMITS.keyValues + 1);
  // A value standing for the categories the release left out is no value of the file to state a rule for.
  const stated = (rule: Rule): boolean => !(rule.kind === 'determines' && unreleased !== undefined && rule.when?.includes(unreleased));
  return [
    ...mineDeterminers(keys, rows.length, { rule: MODEL_RULE_TOLERANCE, value: MODEL_RULE_TOLERANCE, support: MODEL_RULE_SUPPORT, chanceShare: MODEL_RULE_CHANCE_SHARE }).filter(stated),
    ...mineMissingness(modelled, keys, pool, rows, MODEL_RULE_TOLERANCE, MODEL_RULE_SUPPORT),
  ];
}

/** Pool rows (of 20,000) with a parent's value and the column present for the value to allow the column. */
export const MODEL_RULE_SUPPORT = 100;

/**
 * Share of the rows a rule read off the model binds that would break it were the columns unrelated:
 * a dependent value the pool already holds in 80 % of rows is weak evidence from a noisy model (the
 * demo at 3,000 rows read "ethnicity determines died_in_hospital" off pgm's pool at 5 %).
 */
export const MODEL_RULE_CHANCE_SHARE = 0.2;

/** Share of the rows a rule binds that may break it in the model's pool for the rule to be kept. */
export const MODEL_RULE_TOLERANCE = 0.01;
