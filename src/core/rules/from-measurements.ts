/**
 * Under DP, determines and missingWhen rules read off the column pairs a generator measured with
 * noise (pgm's tree, the raked tvae's: pgm/mst.ts), at no privacy cost (post-processing of
 * releases). A model fitted to noisy counts spreads mass over cells the real rows leave empty (rhc
 * at ε 3: `dthdte` present beside `death` "No" in 3 % of pgm's rows), so its own rows cannot show
 * a rule at 99 % (mineFromModel); the counts themselves can, against their known noise:
 * - `from` = x fixes `to` = y when the noisy count of x's rows outside y is at most
 *   MEASURED_RULE_Z noise deviations (consistent with none), while unrelated columns would put at
 *   least twice that many there (so a rule is told from chance);
 * - `column` is missing under a parent's value when the value's rows with the column present are
 *   consistent with none in the same way; every other value allows it.
 * The fixed value (or missing) must hold its cell alone, the others' released counts being within
 * the noise of none; a fixing cell may hold several values of the file (each then fixes it), but
 * no bin of numbers; the release's `Other` is no value of the file.
 */
import { slotWeights, type ColumnHistogram, type MeasuredPair } from '../release/types';
import type { Rule, Schema } from '../schema/types';
import { isNumericColumn } from '../table';
import { isKeyColumn } from './check';

/** Noise deviations a count may reach and still be read as none (as rule confirmation's 3 σ). */
export const MEASURED_RULE_Z = 3;

/** A pair whose total is within this share of a histogram's (plus the two totals' noise) counts the same rows. */
const SAME_ROWS_TOLERANCE = 0.05;

/** Noise deviations a cell joining a rule that others show may hold outside its fixed value. */
const LENIENT_Z = 2;

/** Most values of a parent of missingness (as mining's MINING_LIMITS.parentValues). */
const PARENT_VALUES = 20;

/**
 * What a cell of a column's domain stands for: the values it holds (null: missing), `whole` when
 * each is a value of the file (not a bin of numbers, not `Other`), and `single` the one value that
 * holds the cell alone (the others' released counts consistent with none), if any.
 */
interface CellValue {
  values: (string | null)[];
  whole: boolean;
  single?: string | null;
  /** The cell holds the release's label for categories it left out, and nothing else but missing. */
  unreleased?: boolean;
  /**
   * The cell's rows by the column's own released histogram, with the variance
   * of its noise: when every slot of the cell stands clear of the noise (a cleaned slot's count is
   * not a plain noisy count).
   */
  oneWay?: { count: number; variance: number };
  /** The cell's rows by the column's own released histogram (after its cleaning: above 0, the release shows values there). */
  released: number;
}

/**
 * A parent value's rows, as the pair's row sum (k noisy counts) or the column's own released count
 * (one count per slot), whichever is less noisy: its rows with the column present, `total −
 * count(missing)`, then carry k − 1 of the pair's noisy counts, or the released count's noise and
 * one pair count's. For a target of many cells (pbc's `chol` in 32 cells) the second is four times
 * less noisy, so a missingness rule shows at a quarter of the rows.
 */
function rowsOf(cell: CellValue, pairTotal: number, pairVariance: number): { total: number; variance: number } {
  return cell.oneWay && cell.oneWay.variance < pairVariance ? { total: cell.oneWay.count, variance: cell.oneWay.variance } : { total: pairTotal, variance: pairVariance };
}

export function rulesFromMeasurements(
  schema: Schema,
  pairs: readonly MeasuredPair[],
  /** Columns the rule layer rewrites (offsets, computed): never keys or determined columns. */
  rewritten: (column: string) => boolean,
  /** The label the release gives categories it left out (`Other`): no value of the file. */
  unreleased?: string,
): Rule[] {
  const determines: { rule: Rule; bound: number; z: number }[] = [];
  const fallbacks: { rule: Rule; bound: number; z: number }[] = [];
  const blanking = new Map<number, { rule: Rule; covered: number }>();
  for (const pair of pairs) {
    const found: { rule: Rule; bound: number; z: number }[] = [];
    for (const { from, to, fromCells, toCells, count, side } of directionsOf(pair, unreleased)) {
      const rule = determinesRule(schema, from, to, fromCells, toCells, count, pair.sigma, rewritten, unreleased, unreleasedCell(pair.histograms[side], pair.cellOfSlot[side], unreleased));
      if (rule) found.push(rule);
      const missing = missingRule(schema, to, from, toCells, fromCells, (i, j) => count(j, i), pair.sigma, rewritten);
      if (missing && missing.covered > (blanking.get(to)?.covered ?? 0)) blanking.set(to, missing);
    }
    // Of the two directions of a pair, the one whose breaks are nearer none first: the other is
    // its contrapositive (alive → not dead at 30 days; dead at 30 days → dead), or holds only
    // within the noise (rhc's malignancy 0 → no cancer, broken by 40 real rows hidden in it,
    // which would leave cancer → malignancy unkept). The other is a fallback, for when another
    // rule sets the first one's column.
    found.sort((p, q) => p.z - q.z);
    // A whole rule that implies the other direction keeps both (support2: dzgroup → dzclass makes
    // dzclass "Coma" → dzgroup "Coma" hold too; the partial one first left dzgroup → dzclass out
    // as setting its column, and 1-3 % of rows broke it), unless its breaks stand a deviation
    // further from none (the 40 rows above).
    if (found.length === 2 && implies(found[1].rule, found[0].rule) && found[1].z <= found[0].z + 1) found.reverse();
    if (found[0]) determines.push(found[0]);
    if (found[1]) fallbacks.push(found[1]);
  }
  // Rules binding more rows first: the layer sets each column from one side only, so where two
  // rules would set one column, or each other's columns, the first wins.
  const byBound = (p: { bound: number }, q: { bound: number }): number => q.bound - p.bound;
  return [...determines.sort(byBound), ...fallbacks.sort(byBound)].map((d) => d.rule).concat([...blanking.values()].map((m) => m.rule));
}

/**
 * Values of one column of a measured pair whose rows its counts show in one value of the other,
 * consistent with a rule, but too few to tell the rule from chance at the pair's noise: per
 * direction, each such value's rows that unrelated columns would put outside (`unrelated`) and
 * the other column's cells. At noise σ the rule is told for those with `unrelated` at least
 * 2 MEASURED_RULE_Z σ √(cells − 1) (determinesRule's test); a second, less noisy look at the pair
 * can tell them (confirmDeterminesPrivately). Post-processing of the pair's counts.
 */
export function untoldValues(schema: Schema, pair: MeasuredPair, rewritten: (column: string) => boolean, unreleased?: string): { unrelated: number; cells: number }[][] {
  return directionsOf(pair, unreleased).map(({ from, to, fromCells, toCells, count }) => {
    const k = toCells.length;
    if (k < 2 || !isKeyColumn(schema.columns[from]) || !isKeyColumn(schema.columns[to]) || rewritten(schema.columns[from].name) || rewritten(schema.columns[to].name)) return [];
    const toTotals = Array.from({ length: k }, (_, j) => fromCells.reduce((sum, _c, i) => sum + count(i, j), 0));
    const all = toTotals.reduce((sum, x) => sum + x, 0);
    if (!(all > 0)) return [];
    const noise = pair.sigma * Math.sqrt(k - 1);
    return fromCells.flatMap((cell, i) => {
      if (!cell.whole) return [];
      const { total, best } = rowOf(i, k, count);
      const target = toCells[best].single;
      const unrelated = total * (1 - Math.max(0, toTotals[best]) / all);
      const consistent = target !== undefined && target !== null && total - count(i, best) <= MEASURED_RULE_Z * noise;
      return consistent && unrelated > 0 && unrelated < 2 * MEASURED_RULE_Z * noise ? [{ unrelated, cells: k }] : [];
    });
  });
}

/** A measured pair read both ways: each column's cells, and the counts with `from`'s cell first. */
function directionsOf(
  pair: MeasuredPair,
  unreleased: string | undefined,
): { from: number; to: number; fromCells: CellValue[]; toCells: CellValue[]; count: (i: number, j: number) => number; side: 0 | 1 }[] {
  const [a, b] = pair.columns;
  const pairRows = { count: pair.counts.reduce((sum, c) => sum + c, 0), noise: pair.sigma * Math.sqrt(pair.counts.length) };
  const cellsA = cellValues(pair.histograms[0], pair.cellOfSlot[0], unreleased, pairRows, pair.restCells?.[0]);
  const cellsB = cellValues(pair.histograms[1], pair.cellOfSlot[1], unreleased, pairRows, pair.restCells?.[1]);
  return [
    { from: a, to: b, fromCells: cellsA, toCells: cellsB, count: (i, j) => pair.counts[i * cellsB.length + j], side: 0 },
    { from: b, to: a, fromCells: cellsB, toCells: cellsA, count: (i, j) => pair.counts[j * cellsB.length + i], side: 1 },
  ];
}

/** A value's row of a pair's counts: its total, and the cell of the other column holding most. */
function rowOf(i: number, cells: number, count: (i: number, j: number) => number): { total: number; best: number } {
  let total = 0;
  let best = 0;
  for (let j = 0; j < cells; j++) {
    total += count(i, j);
    if (count(i, j) > count(i, best)) best = j;
  }
  return { total, best };
}

/**
 * Whether enforcing `whole` (every value of its column fixes the other) keeps `partial`, the
 * opposite direction: each of partial's values is fixed by exactly one value of whole's column,
 * the one partial fixes it to.
 */
function implies(whole: Rule, partial: Rule): boolean {
  if (whole.kind !== 'determines' || partial.kind !== 'determines' || whole.when || !whole.combinations || !partial.combinations) return false;
  if (whole.from !== partial.to || whole.to !== partial.from) return false;
  return partial.combinations.every(([value, fixedTo]) => {
    const sources = whole.combinations!.filter(([, target]) => target === value);
    return sources.length === 1 && sources[0][0] === fixedTo;
  });
}

/** What each cell of a measured column stands for. */
function cellValues(
  h: ColumnHistogram,
  cellOfSlot: number[],
  unreleased: string | undefined,
  pairRows: { count: number; noise: number },
  /** The cell grouping the rest of a whole number's values (MeasuredPair.restCells). */
  restCell = -1,
): CellValue[] {
  const weights = slotWeights(h);
  const slots: (string | null | undefined)[] = weights.map((_, slot) => slotValue(h, slot));
  const cells = Math.max(...cellOfSlot) + 1;
  const sigma = h.sigma;
  // Only when the pair counts the histogram's rows: scaled by the ratio of two noisy totals, the
  // count took the pair's total noise with it (σ √(cells of the pair), ±50 rows on 2,600). The two
  // totals differ by their noise too: rhc's death × dthdte (34 cells at σ 40) differs from death's
  // release by 230 rows at one deviation, 5 % of its rows, and a fixed 5 % left death's counts
  // unused in about 1 run of 9, and "dthdte present only when death is Yes" unread (3.3 % of rows broke it).
  const released = weights.reduce((sum, w) => sum + Math.max(0, w), 0);
  const totalsNoise = sigma === undefined ? 0 : Math.sqrt(pairRows.noise ** 2 + sigma * sigma * weights.length);
  const sameRows = sigma !== undefined && released > 0 && Math.abs(pairRows.count - released) <= SAME_ROWS_TOLERANCE * released + MEASURED_RULE_Z * totalsNoise;
  return Array.from({ length: cells }, (_, cell): CellValue => {
    // Slots the release shows empty join a cell without being drawn there: they do not count.
    const members = cellOfSlot.flatMap((c, slot) => (c === cell && weights[slot] > 0 ? [slot] : []));
    if (!members.length) return { values: [], whole: false, released: 0 };
    const released = members.reduce((sum, slot) => sum + weights[slot], 0);
    const clear = sameRows && members.every((slot) => weights[slot] > MEASURED_RULE_Z * sigma!);
    const oneWay = clear ? { count: released, variance: sigma! * sigma! * members.length } : undefined;
    const top = members.reduce((best, slot) => (weights[slot] > weights[best] ? slot : best), members[0]);
    // The values the release shows held by rows: a slot whose count is within the noise of none
    // (days 21 to 29 beside 30, where no row is) is left out of the rule's pairs.
    const held = members.filter((slot) => slot === top || sigma === undefined || weights[slot] > MEASURED_RULE_Z * sigma);
    const values = held.map((slot) => slots[slot]).filter((v): v is string | null => v !== undefined && v !== unreleased);
    // The rest of a whole number's values is no value: read as one, rhc's t3d30 1-29 "fixed" dth30
    // "Yes" beside 30 fixing "No", which 26 real rows break, and that near-rule set dth30 instead
    // of death "No" → dth30 "No" (1-2 % of rows then broke dth30 "No" → t3d30 30).
    if (cell === restCell) return { values, whole: false, released };
    const whole = values.length === held.length;
    // The release's `Other` (alone, or with the missing cells, both rare) makes a cell of no value of the file.
    if (unreleased !== undefined && held.some((slot) => slots[slot] === unreleased) && held.every((slot) => slots[slot] === unreleased || slots[slot] === null))
      return { values, whole, unreleased: true, released, ...(oneWay ? { oneWay } : {}) };
    // One value holds the cell when the others' released counts are consistent with none (rhc's
    // t3d30 = 30 shares its cell with 29, which a few rows hold at most).
    const rest = members.reduce((sum, slot) => sum + (slot === top ? 0 : weights[slot]), 0);
    const alone = members.length === 1 || (sigma !== undefined && rest <= MEASURED_RULE_Z * sigma * Math.sqrt(members.length - 1));
    const value = slots[top];
    const base = { values, whole, released, ...(oneWay ? { oneWay } : {}) };
    return alone && value !== undefined && value !== unreleased ? { ...base, single: value } : base;
  });
}

/**
 * The cell of a measured column that holds its unreleased label's slot (-1: no such label), and
 * the most rows the label may hold by its release: the count the released row count leaves it
 * (none within the noise) plus MEASURED_RULE_Z deviations of that remainder's noise
 * (σ √(released levels + 2)).
 */
function unreleasedCell(h: ColumnHistogram, cellOfSlot: number[], unreleased: string | undefined): { cell: number; capacity: number } {
  const slot = h.type === 'categorical' && unreleased !== undefined ? h.levels.indexOf(unreleased) : -1;
  if (h.type !== 'categorical' || slot < 0 || h.sigma === undefined) return { cell: -1, capacity: 0 };
  return { cell: cellOfSlot[slot], capacity: h.counts[slot] + MEASURED_RULE_Z * h.sigma * Math.sqrt(h.levels.length + 1) };
}

/** The value a histogram slot stands for alone; undefined for a bin of several numbers. */
function slotValue(h: ColumnHistogram, slot: number): string | null | undefined {
  if (h.type === 'categorical') return slot < h.levels.length ? h.levels[slot] : null;
  const bins = h.counts.length;
  if (slot === bins + 1) return null;
  if (slot === bins) return '0';
  return h.integerBins ? String(Math.round(h.min) + slot) : undefined;
}

function determinesRule(
  schema: Schema,
  from: number,
  to: number,
  fromCells: CellValue[],
  toCells: CellValue[],
  count: (i: number, j: number) => number,
  sigma: number,
  rewritten: (column: string) => boolean,
  unreleased: string | undefined,
  /** The cell holding `from`'s unreleased label (-1: none), and the most rows it may hold (unreleasedCell). */
  unreleasedCell: { cell: number; capacity: number },
): { rule: Rule; bound: number; z: number } | undefined {
  const fromColumn = schema.columns[from];
  const toColumn = schema.columns[to];
  if (!isKeyColumn(fromColumn) || !isKeyColumn(toColumn) || rewritten(fromColumn.name) || rewritten(toColumn.name)) return undefined;
  const k = toCells.length;
  if (k < 2) return undefined;
  const toTotals = Array.from({ length: k }, (_, j) => fromCells.reduce((s, _c, i) => s + count(i, j), 0));
  const all = toTotals.reduce((s, x) => s + x, 0);
  if (!(all > 0)) return undefined;
  const combinations: [string, string][] = [];
  let bound = 0;
  let outsideAll = 0;
  let outsideVariance = 0;
  // Every value of a cell whose rows all fall in one value of `to` goes with it: told from chance
  // on its own (unrelated columns would put 2 Z σ outside), or, once such a cell shows the rule,
  // a smaller cell consistent with it whose chance is still beyond the noise (support2's
  // Cirrhosis, 425 released rows, joins dzgroup → dzclass; alone it broke in 1.5 % of rows).
  const cellsSeen: { index: number; values: (string | null)[]; total: number; outside: number; variance: number; target: string; clear: boolean }[] = [];
  fromCells.forEach((cell, i) => {
    if (!cell.whole) return;
    const { total: pairTotal, best } = rowOf(i, k, count);
    const target = toCells[best].single;
    if (target === undefined || target === null) return;
    // The rest of a value's row: its k − 1 other noisy counts. Not its released rows less the fixed
    // count (rowsOf), though less noisy: with it every level of adult's education stood clear,
    // education → education_num bound every value, and no row could hold education_num 1 when
    // Preschool (51 real rows) was under the categories' threshold; the range then started at 2
    // and quality fell from 0.987 to 0.950 in 3 of 3 runs at ε 3.
    const total = pairTotal;
    const noise = sigma * Math.sqrt(k - 1);
    const outside = total - count(i, best);
    const unrelated = total * (1 - Math.max(0, toTotals[best]) / all);
    if (outside > MEASURED_RULE_Z * noise || unrelated < MEASURED_RULE_Z * noise) return;
    // Told from chance by the rows chance would put outside, or by how far the count falls short
    // of them: a noisy count below none is evidence too (rhc's dth30 "No" → t3d30 30, where chance
    // puts 27 % of 3,000 rows outside, 950 rows at noise 160 over 17 cells, went unkept in 7
    // runs of 31 and 1.3 % of rows broke it).
    const clear = unrelated - Math.min(0, outside) >= 2 * MEASURED_RULE_Z * noise;
    // A cell joining on the strength of others must sit nearer none (a share of its rows would be
    // within the noise alone: 10 % of 443 rows is one deviation here, and such a test dropped
    // support2's Cirrhosis and Coma now and then, leaving 1.4-2.3 % of rows breaking the rule).
    if (!clear && outside > LENIENT_Z * noise) return;
    cellsSeen.push({ index: i, values: cell.values, total, outside, variance: noise * noise, target, clear });
  });
  if (!cellsSeen.some((c) => c.clear)) return undefined;
  const fixed = new Set(cellsSeen.map((c) => c.target));
  const boundCells = new Set(cellsSeen.map((c) => c.index));
  const free = fromCells.flatMap((c, i) => (boundCells.has(i) || !c.values.length ? [] : [i]));
  const keyed = fromCells.flatMap((c) => c.values).filter((v) => v !== null).length;
  const bindsEveryValue = (cells: typeof cellsSeen): boolean =>
    cells.reduce((n, c) => n + c.values.filter((v) => v !== null).length, 0) === keyed && fromCells.every((c) => c.whole || !c.values.some((v) => v !== null));
  // A value of `to` the release shows that no bound value of `from` fixes and no free one holds
  // (its rows sit in bound cells, as breaks within the noise) would be left without a row: adult's
  // education_num 1, when Preschool, under the categories' threshold, is released as "Other"
  // with no rows and its rows are counted with HS-grad's. Its range then started at 2
  // in about half the runs at ε 3, and quality fell from 0.98 to 0.95. One such value takes the
  // label of the categories the release left out: "Other" fixes it, and the layer gives that
  // label to the bound rows the model drew with it (RuleLayer.withUndrawnSources). Otherwise,
  // when such values are clear by twice the margin, only the values clear on their own bind,
  // leaving the smaller ones free to draw them.
  const orphans = (shown: (c: CellValue) => boolean): string[] =>
    toCells.flatMap((c, j) => {
      if (c.single === undefined || c.single === null || fixed.has(c.single) || !shown(c)) return [];
      const held = free.reduce((sum, i) => sum + count(i, j), 0);
      return held <= MEASURED_RULE_Z * sigma * Math.sqrt(free.length) ? [c.single] : [];
    });
  // Any value the column's release kept: its cleaning already told it from noise (education_num
  // 1 at 2.7 deviations in one run, kept there and erased here when a clear count was asked for).
  // Only when the unreleased label's rows sit in a bound cell (adult's Preschool with HS-grad's),
  // where the layer would overwrite the value; in a free cell the model draws it as it is. And no
  // more rows than the unreleased values can hold. support2's "dnr before sadm" (about 200 rows,
  // spread over the diseases a partial rule left free, each within the noise) was fixed by
  // dzgroup "Other", whose slot sat in a free cell, and the layer wrote that label, which no row
  // of the file holds, in 16 to 54 rows of dzgroup in 5 runs of 17.
  const otherBound = cellsSeen.some((c) => c.index === unreleasedCell.cell);
  const single =
    unreleased !== undefined && schema.columns[from].kind === 'categorical' && otherBound ? orphans((c) => c.released > 0 && c.released <= unreleasedCell.capacity) : [];
  const sourceless = single.length === 1 ? single[0] : undefined;
  const orphan = sourceless === undefined && orphans((c) => c.oneWay !== undefined && c.oneWay.count > 2 * MEASURED_RULE_Z * Math.sqrt(c.oneWay.variance)).length > 0;
  const binding = orphan ? cellsSeen.filter((c) => c.clear) : cellsSeen;
  for (const cell of binding) {
    bound += cell.total;
    outsideAll += cell.outside;
    outsideVariance += cell.variance;
    for (const v of cell.values) if (v !== null) combinations.push([v, cell.target]);
  }
  if (!combinations.length) return undefined;
  const everyValue = bindsEveryValue(binding);
  // A few values of a number fixing another column is a pattern, not a rule (as mining says).
  if (isNumericColumn(fromColumn) && !everyValue) return undefined;
  // The release's `Other` is no value of the file, but the rows hold it: under a whole rule it
  // takes the value its cell's rows mostly hold, so every row is set.
  const other = fromCells.findIndex((c) => c.unreleased);
  if (sourceless !== undefined) combinations.push([unreleased!, sourceless]);
  else if (everyValue && other >= 0 && unreleased !== undefined) {
    let best = 0;
    for (let j = 0; j < k; j++) if (count(other, j) > count(other, best)) best = j;
    const target = toCells[best].single;
    if (target !== undefined && target !== null) combinations.push([unreleased, target]);
  }
  const when = everyValue ? {} : { when: combinations.map(([f]) => f) };
  // The rows outside the fixed values, in noise deviations of their sum.
  const z = outsideAll / Math.sqrt(outsideVariance);
  return { rule: { kind: 'determines', from: fromColumn.name, to: toColumn.name, ...when, combinations, source: 'inferred', enforce: true }, bound, z };
}

function missingRule(
  schema: Schema,
  target: number,
  parent: number,
  targetCells: CellValue[],
  parentCells: CellValue[],
  /** Count of (target cell, parent cell). */
  count: (t: number, p: number) => number,
  sigma: number,
  rewritten: (column: string) => boolean,
): { rule: Rule; covered: number } | undefined {
  const parentColumn = schema.columns[parent];
  const targetColumn = schema.columns[target];
  if (!isKeyColumn(parentColumn) || isNumericColumn(parentColumn) || rewritten(parentColumn.name)) return undefined;
  // A computed column is derived from its inputs; an offset keeps its missing cells (the date's).
  if (targetColumn.exclude || parentCells.length > PARENT_VALUES + 1) return undefined;
  const missingCell = targetCells.findIndex((c) => c.single === null);
  if (missingCell < 0 || targetCells.length < 2) return undefined;
  let presentAll = 0;
  let all = 0;
  const rows = parentCells.map((cell, p) => {
    let pairTotal = 0;
    for (let t = 0; t < targetCells.length; t++) pairTotal += count(t, p);
    // A value's rows with the column present: its other k − 1 noisy counts, or its released rows less the missing count.
    const { total, variance } = rowsOf(cell, pairTotal, sigma * sigma * (targetCells.length - 2));
    const present = total - count(missingCell, p);
    presentAll += present;
    all += total;
    return { total, present, noise: Math.sqrt(variance + sigma * sigma) };
  });
  if (!(all > 0) || !(presentAll > 0)) return undefined;
  const allowed: string[] = [];
  let covered = 0;
  let parentMissingPresent = false;
  let blanksValue = false;
  parentCells.forEach((cell, p) => {
    const { total, present, noise } = rows[p];
    const none = present <= MEASURED_RULE_Z * noise;
    const values = cell.values;
    // Blanked: the value's rows hold no present cell, where unrelated columns would put many.
    if (none && (total * presentAll) / all >= 2 * MEASURED_RULE_Z * noise) {
      covered += total;
      if (values.some((v) => v !== null)) blanksValue = true;
      return;
    }
    // Too few rows to tell: allowed, so no real value is blanked (a missing parent cannot be listed).
    for (const v of values) if (v !== null) allowed.push(v);
    if (!none && values.includes(null)) parentMissingPresent = true;
  });
  // A missing parent cannot allow a value: such a rule would blank real cells. When only the
  // missing parent blanks the column, the rule is the parent's presence (see mine.ts).
  if (parentMissingPresent || !allowed.length || covered <= 0) return undefined;
  return { rule: { kind: 'missingWhen', column: targetColumn.name, parent: parentColumn.name, ...(blanksValue ? { presentOnlyWhen: allowed } : {}), source: 'inferred', enforce: true }, covered };
}
