/**
 * Rules confirmed through the privacy ledger (differential privacy runs).
 *
 * Under DP a rule read off the private rows would leak them, so the candidates come from public
 * structure only: the names, kinds and order of the columns, and the rules the user declared;
 * never from a value, a count or a rule mined from the rows. Candidates are tested by noisy
 * counts, in four releases charged to the ledger, each adaptive on the ones before:
 *
 * 0. a noisy count of rows (people, with a privacy unit): the scale thresholds are set on;
 * 1. screen: both directions of each pair of columns of one unit, among the first
 *    CONFIRM_LIMITS.dateColumns date (or date-time) columns and the first
 *    CONFIRM_LIMITS.numberColumns integer or decimal columns (at most 66 + 780 pairs), and the
 *    implications between code columns (`codeCandidates`: at most 24 × 23): the rows that break
 *    each. Candidates clearly broken are dropped;
 * 2. chance: for the candidates left, how often they break between unrelated rows (each row's
 *    earlier value against the next row's later one, rows in a secure random order). An order
 *    that holds only because the columns' ranges do not overlap (age ≤ blood pressure), or an
 *    implication from a code the column never holds, does not break by chance either, and is not
 *    a rule a reader would state: dropped;
 * 3. count: the rows breaking each candidate left, again. In the screen a row breaks about half of
 *    hundreds of candidates, which weighs its count down (below); here the candidates are few;
 * 4. differences: for every order confirmed (or declared), `c = later − earlier` for each of the
 *    first CONFIRM_LIMITS.integerColumns integer columns c: a screen, then a count of those left
 *    (as in 1 and 3: a row breaks nearly every candidate of the screen).
 *
 * A batch's counts are released together as one Gaussian vector. A row (person) that breaks s
 * candidates of the batch adds 1/√s to each of their counts (orders and implications weigh apart,
 * see GROUP_SHARES), so adding or removing it moves the vector by at most 1 in L2 norm: the batch
 * costs one count's ρ = 1 / (2σ²) whatever its size, and a rule that no row breaks still counts
 * exactly 0. Against one plain count per candidate with the batch's ρ split m ways, a broken
 * candidate's signal falls by at most √s ≤ √m, the noise by √m.
 * Weights are whole multiples of 1/WEIGHT_SCALE, rounded down (the norm stays within 1), so the
 * discrete Gaussian applies, drawn exactly from the secure stream.
 *
 * Implications between code columns: a column of public whole-number codes, a `boolean` of 0/1
 * or a `categorical` column whose values read as whole numbers (holdsWholeNumberCodes: codes
 * 0-15 are schema structure), orders like a number: `b ≤ c` for a 0/1 column b is exactly "c 0
 * → b 0" (`hospdead ≤ death`, `dementia ≤ num.co`). The candidate is that `determines` rule, with
 * its combination, so what is tested is what the layer enforces (a missing b beside a c of 0
 * breaks it). Booleans written otherwise (Yes/No, true/false) map to no public code and are left
 * out: which value is 1 is not in the schema.
 *
 * Missingness rules ("b present only when a present": a `missingWhen` rule on any value of the
 * parent) are tested apart, after the column histograms are released (confirmMissingnessPrivately):
 * their noisy missing counts, public by then, say which columns hold missing values at all, and
 * only pairs of those are candidates. Tested among every column, a row missing nine values beside
 * ten present ones (pbc's untreated patients) breaks 90 candidates and weighs a tenth in each.
 *
 * Other kinds (sums, other `determines`, `missingWhen` on some values of the parent) are used under
 * DP only when declared, or when read off the generator's release (rules/from-measurements.ts).
 */
import { Random, type SecureRandom } from '../random';
import { discreteGaussianNoise } from './discrete-gaussian';
import type { ColumnHistogram, MeasuredPair, ReleaseEntry } from '../release/types';
import type { ArithmeticRule, ColumnSchema, DeterminesRule, MissingWhenRule, OrderRule, Rule, Schema } from '../schema/types';
import { isModelled, type Table } from '../table';
import { describeRule, ruleTest, unitClass } from '../rules/check';
import { holdsWholeNumberCodes, MISSING_SHARE, normalQuantile } from './preprocess';
import { measureRulePairs, pairCells, remeasurePairs, type RulePairsOptions } from './rule-pairs';
import { MEASURED_RULE_Z, rulesFromMeasurements, untoldValues } from '../rules/from-measurements';
import type { LaterConfirmation, PrivateConfirmation, TestedRule } from '../rules/plan';

/** The ledger's column label of every rule-confirmation release. */
export const RULES_RELEASE_COLUMN = '(rules)';

/** Share of the run's zCDP budget ρ spent on confirming rules (taken from preprocessing, not added). */
export const RULES_BUDGET_SHARE = 0.08;

/** The rules' budget within a run's plan, and their own secure stream. */
export function rulesBudget(plan: { rhoTarget: number }): { rho: number; random: SecureRandom } {
  return { rho: plan.rhoTarget * RULES_BUDGET_SHARE, random: Random.secure() };
}

/**
 * Share of the run's ρ spent on confirming missingness rules, after the column histograms: out of
 * the model's share where the generator takes what the target leaves (pgm, the DP tVAE), else kept
 * aside from the histograms' (marginals: unspent when no column shows missing values).
 */
export const MISSINGNESS_BUDGET_SHARE = 0.03;

/**
 * Of it, the screen's share. In the screen a row missing many values breaks many candidates and
 * weighs little in each; among the few left, a near-rule's rows weigh more: on support2, without
 * the screen, `adlp` present only when `edu` is (broken in 1.6 % of rows) and `urine` only when
 * `glucose` is (2.0 %) were confirmed.
 */
const MISSINGNESS_SCREEN_SHARE = 0.3;

export const CONFIRM_LIMITS = {
  /** Missingness rules are looked for among the first this many columns whose release shows missing values. */
  missingColumns: 24,
  dateColumns: 12,
  numberColumns: 40,
  /** 0/1 and whole-number code columns whose implications are tested (codeCandidates). */
  codeColumns: 24,
  integerColumns: 40,
  /** Differences are looked for under at most this many orders. */
  differenceOrders: 40,
  /**
   * Shares of the rules' ρ: the row count; the orders' screen, chance and count; the differences'
   * screen and count. The counts that decide get the most; the row count only sets the scale
   * (σ about 25 at ε 3), and gave 0.04 to the chance counts when implications joined them.
   */
  rhoShares: [0.06, 0.1, 0.29, 0.25, 0.05, 0.25],
  /** An order must break between unrelated rows in at least this share of them (as in mining). */
  chanceShare: 0.05,
  /**
   * A candidate is confirmed when its noisy count is at most Z σ. A rule no row breaks is then
   * confirmed with probability Φ(3) = 99.87 %; see `threshold` for the false accepts.
   */
  z: 3,
  /** The test must tell a rule from one broken in this share of the rows; else nothing is tested. */
  maxBrokenShare: 0.02,
} as const;

/** Weights are whole multiples of 1/WEIGHT_SCALE (discrete Gaussian on integers). */
const WEIGHT_SCALE = 256;

/** Candidate orders (both directions of each pair) among columns of `schema`, by structure only, skipping pairs the user declared. */
export function orderCandidates(schema: Schema, declared: Rule[]): [OrderRule, OrderRule][] {
  const modelled = schema.columns.filter(isModelled);
  const dates = modelled.filter((c) => c.kind === 'date' || c.kind === 'datetime').slice(0, CONFIRM_LIMITS.dateColumns);
  const numbers = modelled.filter((c) => c.kind === 'integer' || c.kind === 'continuous').slice(0, CONFIRM_LIMITS.numberColumns);
  const declaredPairs = new Set(declared.flatMap((r) => (r.kind === 'order' ? [`${r.low}\u0000${r.high}`, `${r.high}\u0000${r.low}`] : [])));
  const pairs: [OrderRule, OrderRule][] = [];
  for (const group of [dates, numbers]) {
    for (let x = 0; x < group.length; x++) {
      for (let y = x + 1; y < group.length; y++) {
        const [a, b] = [group[x], group[y]];
        if (unitClass(a) !== unitClass(b) || declaredPairs.has(`${a.name}\u0000${b.name}`)) continue;
        pairs.push([order(a.name, b.name), order(b.name, a.name)]);
      }
    }
  }
  return pairs;
}

/** A `boolean` column read as the whole numbers 0 and 1 (its number format): not Yes/No or true/false. */
function holdsZeroOne(column: ColumnSchema): boolean {
  return column.kind === 'boolean' && column.number?.decimals === 0;
}

/**
 * For each 0/1 column b and each other code column c among the first CONFIRM_LIMITS.codeColumns
 * of either: `b ≤ c` as the `determines` rule "c 0 → b 0" (see the file's comment), by structure
 * only, skipping pairs a declared rule links. At most 24 × 23 = 552 candidates.
 */
export function codeCandidates(schema: Schema, declared: Rule[]): DeterminesRule[] {
  const codes = schema.columns.filter((c) => isModelled(c) && (holdsZeroOne(c) || holdsWholeNumberCodes(c))).slice(0, CONFIRM_LIMITS.codeColumns);
  const linked = new Set(declared.flatMap((r) => (r.kind === 'determines' ? [`${r.from}\u0000${r.to}`, `${r.to}\u0000${r.from}`] : [])));
  const candidates: DeterminesRule[] = [];
  for (const low of codes.filter(holdsZeroOne)) {
    for (const high of codes) {
      if (high === low || linked.has(`${high.name}\u0000${low.name}`)) continue;
      candidates.push({ kind: 'determines', from: high.name, to: low.name, when: ['0'], combinations: [['0', '0']], source: 'inferred', enforce: true });
    }
  }
  return candidates;
}

/** For each known order (confirmed or declared): `c = high − low` for integer columns c. */
export function differenceCandidates(schema: Schema, orders: OrderRule[], declared: Rule[]): ArithmeticRule[] {
  const integers = schema.columns.filter((c) => isModelled(c) && c.kind === 'integer').slice(0, CONFIRM_LIMITS.integerColumns);
  const computed = new Set(declared.flatMap((r) => (r.kind === 'difference' || r.kind === 'sum' ? [r.column] : [])));
  const candidates: ArithmeticRule[] = [];
  for (const o of orders.slice(0, CONFIRM_LIMITS.differenceOrders)) {
    for (const c of integers) {
      if (computed.has(c.name) || c.name === o.low || c.name === o.high) continue;
      candidates.push({ kind: 'difference', column: c.name, of: [o.high, o.low], source: 'inferred', enforce: true });
    }
  }
  return candidates;
}

function order(low: string, high: string): OrderRule {
  return { kind: 'order', low, high, source: 'inferred', enforce: true };
}

/**
 * Test the structural candidates on the private `table` within `rho` (zCDP), all noise from the
 * secure stream. Undefined when there is no candidate: nothing is spent.
 */
export function confirmRulesPrivately(schema: Schema, table: Table, options: { rho: number; random: SecureRandom; declared: Rule[] }): PrivateConfirmation | undefined {
  const { random, declared } = options;
  const pairs = orderCandidates(schema, declared);
  const implications = codeCandidates(schema, declared);
  const declaredOrders = declared.filter((r): r is OrderRule => r.kind === 'order' && r.enforce);
  if (!pairs.length && !implications.length && !differenceCandidates(schema, declaredOrders, declared).length) return undefined;
  const [rhoRows, rhoScreen, rhoChance, rhoCount, rhoDifferenceScreen, rhoDifferenceCount] = CONFIRM_LIMITS.rhoShares.map((share) => share * options.rho);
  const unit = unitOf(table);
  const releases: ReleaseEntry[] = [];
  const tested: TestedRule[] = [];
  let spent = 0;

  const rowsSigma = sigmaFor(rhoRows);
  const noisyRows = unit.count + discreteGaussianNoise(random, rowsSigma)();
  spent += rhoRows;
  const who = table.units ? 'people' : 'rows';
  releases.push({ column: RULES_RELEASE_COLUMN, what: `count of ${who}, the scale on which candidate rules are confirmed`, rho: rhoRows, sigma: rowsSigma });
  const outcome = (note: string): PrivateConfirmation => ({ tested, releases, rho: spent, who, z: CONFIRM_LIMITS.z, note });

  // Too few rows for the noise: the test could not tell a rule from one often broken. Stop here
  // (the decision follows from the released count only); the rest of the share is not spent.
  const countSigma = sigmaFor(rhoCount);
  const decidingSigma = Math.max(countSigma, sigmaFor(rhoDifferenceCount));
  if (threshold(decidingSigma) > CONFIRM_LIMITS.maxBrokenShare * noisyRows) {
    // The count itself stays in the ledger's release, not in words: only the decision is stated.
    return outcome(
      `Orders, differences and implications between codes were not confirmed privately: the file has too few ${who} for this budget (a noisy count), so the noise of a count of breaking ${who} (σ ${decidingSigma.toFixed(1)}) could not tell a rule from one broken in ${CONFIRM_LIMITS.maxBrokenShare * 100} % of them. Declare the rules you know in the schema to use them.`,
    );
  }

  const release = (rules: Rule[], rho: number, sigma: number, each: Breakers, what: string): number[] => {
    spent += rho;
    releases.push({ column: RULES_RELEASE_COLUMN, what, rho, sigma });
    return releaseBatch(unit, rules.map(candidateGroup), each, sigma, random);
  };
  const known: OrderRule[] = [...declaredOrders];
  if (pairs.length || implications.length) {
    const candidates: Rule[] = [...pairs.flat(), ...implications];
    const screenSigma = sigmaFor(rhoScreen);
    const what = [pairs.length ? `${2 * pairs.length} candidate orders (both directions of ${pairs.length} pairs of columns)` : '', implications.length ? `${implications.length} candidate implications between 0/1 and whole-number code columns` : '']
      .filter(Boolean)
      .join(' and ');
    const screen = release(candidates, rhoScreen, screenSigma, breakers(schema, table, candidates), `weighted counts of ${who} breaking each of ${what}`);
    const screened = candidates.filter((_, k) => screen[k] <= threshold(screenSigma));
    const chanceSigma = sigmaFor(rhoChance) * CHANCE_SENSITIVITY;
    const chance = screened.length
      ? release(screened, rhoChance, chanceSigma, chanceBreakers(schema, table, unit, screened, random), `weighted counts of unrelated ${who} (each against the next in a secure random order) breaking each of ${screened.length} candidate rules; sensitivity ${CHANCE_SENSITIVITY}`)
      : [];
    // Broken between unrelated rows clearly beyond the noise, and as often as an order broken in
    // 5 % of them would weigh at least: a pair of rows breaking s of the m orders screened adds
    // 1/√s ≥ 1/√m to each. Against 5 % of the rows unweighted, support2's slos ≤ d.time (broken
    // by chance in about a tenth of pairs, weighing 419 of a needed 455) was dropped, and 6-7 % of
    // synthetic rows then broke it.
    // "Clearly beyond the noise" is a margin that noise alone reaches in any of the screened
    // candidates with chance CHANCE_FALSE_PASS: 4.6 deviations for support2's 436, where twice the
    // count's threshold (6) dropped slos ≤ d.time (about 270 against a floor of 195, noise 32 and
    // the random pairing's own spread) in 3 of 80 direct tests and 2 of 9 runs, and 6-7 % of
    // synthetic rows then broke it.
    const chanceZ = normalQuantile(1 - CHANCE_FALSE_PASS / Math.max(1, screened.length));
    const chanceFloor = Math.max(chanceZ * chanceSigma, (CONFIRM_LIMITS.chanceShare * noisyRows) / Math.sqrt(Math.max(1, screened.length)));
    const related = screened.filter((_, k) => chance[k] >= chanceFloor);
    const counted = related.length ? release(related, rhoCount, countSigma, breakers(schema, table, related), `weighted counts of ${who} breaking each of ${related.length} candidate rules kept by the screen and the chance counts`) : [];
    candidates.forEach((rule, k) => {
      const s = screened.indexOf(rule);
      const r = related.indexOf(rule);
      const confirmed = r >= 0 && counted[r] <= threshold(countSigma);
      tested.push({
        rule,
        noisyBroken: r >= 0 ? counted[r] : screen[k],
        sigma: r >= 0 ? countSigma : screenSigma,
        noisyScreen: screen[k],
        ...(s >= 0 ? { noisyChance: chance[s] } : {}),
        confirmed,
      });
      if (confirmed && rule.kind === 'order') known.push(rule);
    });
  }

  const differences = differenceCandidates(schema, known, declared);
  if (differences.length) {
    const screenSigma = sigmaFor(rhoDifferenceScreen);
    const screen = release(differences, rhoDifferenceScreen, screenSigma, breakers(schema, table, differences), `weighted counts of ${who} breaking each of ${differences.length} candidate differences (an integer column equal to a later value minus an earlier one)`);
    const screened = differences.filter((_, k) => screen[k] <= threshold(screenSigma));
    const countSigma = sigmaFor(rhoDifferenceCount);
    const counted = screened.length ? release(screened, rhoDifferenceCount, countSigma, breakers(schema, table, screened), `weighted counts of ${who} breaking each of ${screened.length} candidate differences kept by the screen`) : [];
    // One formula per computed column: the one with the fewest breaking rows.
    const best = new Map<string, number>();
    screened.forEach((rule, k) => {
      if (counted[k] > threshold(countSigma)) return;
      const previous = best.get(rule.column);
      if (previous === undefined || counted[k] < counted[previous]) best.set(rule.column, k);
    });
    const chosen = new Set([...best.values()].map((k) => screened[k]));
    differences.forEach((rule, k) => {
      const at = screened.indexOf(rule);
      tested.push({
        rule,
        noisyBroken: at >= 0 ? counted[at] : screen[k],
        sigma: at >= 0 ? countSigma : screenSigma,
        noisyScreen: screen[k],
        confirmed: chosen.has(rule),
      });
    });
  }

  const confirmed = tested.filter((t) => t.confirmed);
  return outcome(
    `${tested.length} candidate rules read from the column kinds were tested privately (noisy counts of breaking ${who}, in the ledger): ` +
      (confirmed.length ? `${confirmed.length} confirmed (${confirmed.map((t) => describeRule(t.rule)).join('; ')}).` : 'none confirmed.'),
  );
}

/** Missingness rules confirmed through the ledger, and the few the layer keeps for the same effect. */
export interface MissingnessConfirmation extends LaterConfirmation {
  /** The rules kept (missingnessStructure): rings of columns missing together, and one link between groups. */
  rules: MissingWhenRule[];
}

/**
 * Missingness rules tested through the ledger, after the column histograms are released. For
 * columns a and b whose released histograms show missing values (at least MISSING_SHARE of the
 * rows; for the parent a, also z deviations of the count's noise), among the first CONFIRM_LIMITS.missingColumns, the candidate "b present only when a
 * present" (b missing wherever a is) when the released counts allow it (post-processing):
 * - all of a's missing values could be b's: a's noisy missing count is at most b's plus 3
 *   deviations of their difference's noise;
 * - unrelated columns would break it in many rows: the released counts put at least
 *   max(z σ, CONFIRM_LIMITS.chanceShare × rows) rows with a missing beside b present, more than a
 *   confirmed count may hold. At 2 z σ (with 5 % of the budget), noise in pbc's missing counts
 *   (σ 17 on its 85 training rows) left columns of its block untested as parents, and 7 runs of
 *   10 broke the block in 10-27 % of rows (none of 10 at z σ).
 * Then two releases, as the batches of confirmRulesPrivately (a unit breaking s candidates adds
 * 1/√s to each: L2 sensitivity 1): a screen of every candidate, dropping those clearly broken,
 * then a count of those left. A candidate is confirmed when its noisy count is at most z σ.
 * Undefined (nothing spent) when there is no candidate.
 */
export function confirmMissingnessPrivately(
  schema: Schema,
  table: Table,
  histograms: readonly (ColumnHistogram | undefined)[],
  options: { rho: number; random: SecureRandom; eligible: (column: ColumnSchema) => boolean; /** The released (noisy) row count. */ rows: number },
): MissingnessConfirmation | undefined {
  const shown = schema.columns
    .map((column, index) => ({ column, index, h: histograms[index] }))
    .filter(({ column, h }) => h && isModelled(column) && options.eligible(column))
    .map(({ column, index, h }) => ({ column, index, missing: h!.missing, sigma: h!.sigma ?? 0 }))
    // Shares of the one noisy row count: a histogram's own total sums the noise of all its bins.
    .filter((c) => c.missing >= MISSING_SHARE * options.rows)
    .slice(0, CONFIRM_LIMITS.missingColumns);
  if (shown.length < 2 || options.rho <= 0) return undefined;
  const sigma = sigmaFor(options.rho * (1 - MISSINGNESS_SCREEN_SHARE));
  const rows = Math.max(1, options.rows);
  const floor = Math.max(threshold(sigma), CONFIRM_LIMITS.chanceShare * rows);
  const candidates: MissingWhenRule[] = [];
  // A parent's missing values must clear their count's noise: pbc's age, never missing, was
  // released with 43 missing values (2.5 σ) in one run, and every column blanked where it was
  // missing passed as its child. A child needs only to show missing values: requiring it of
  // children too dropped a column of pbc's missingness block (49 released for its 85) in 1 run of 10.
  for (const a of shown.filter((c) => c.missing >= CONFIRM_LIMITS.z * c.sigma)) {
    for (const b of shown) {
      if (a === b || a.missing - b.missing > 3 * Math.hypot(a.sigma, b.sigma)) continue;
      const byChance = a.missing * Math.max(0, 1 - b.missing / rows);
      if (byChance >= floor) candidates.push({ kind: 'missingWhen', column: b.column.name, parent: a.column.name, source: 'inferred', enforce: true });
    }
  }
  const who = table.units ? 'people' : 'rows';
  if (!candidates.length) return undefined;
  const { tested, releases } = screenThenCount(schema, table, candidates, options.rho, options.random, 'candidate missingness rules (a column present only when another is), between columns whose released histograms show missing values');
  const byName = new Map(shown.map((c) => [c.column.name, c]));
  const brokenBy = new Map(tested.map((t) => [pairKey(t.rule as MissingWhenRule), t.noisyBroken]));
  // A link between groups needs its parent missing in no more rows than its child, by the
  // released counts within half a deviation of their difference's noise, or a noisy count of
  // breaking rows at most 0 (a rule no row breaks gets one half the time). Within one deviation of
  // none let pbc's `platelet` (9 training rows missing) join its block in 1 run of 16: 99 real rows
  // broke it, weighing a third each among the block's nine candidates. On lung, `wt.loss` present only when `meal.cal` is (broken
  // by 43 of 228 rows: the columns are unrelated) passed the count through the noise of so few
  // rows in 1 run of 3; its missing counts, 47 against 14, contradict it. The counts alone cut too
  // much: applied to every rule, they left pbc's `trt` out of its block whenever noise raised its
  // missing count (the block then broke in 6-26 % of the DP tVAE's rows, 4 runs of 6), and between
  // groups alone, a block column whose noise lowered its count (too low to be tested as a parent,
  // so a group of its own) was linked to none (2 runs of 10).
  const plausible = (parent: string, column: string): boolean => {
    const [a, b] = [byName.get(parent)!, byName.get(column)!];
    if (a.missing - b.missing <= 0.5 * Math.hypot(a.sigma, b.sigma)) return true;
    return (brokenBy.get(pairKey({ parent, column })) ?? Infinity) <= 0;
  };
  const rules = missingnessStructure(
    shown.map((c) => c.column.name),
    tested.filter((t) => t.confirmed).map((t) => t.rule as MissingWhenRule),
    (name) => byName.get(name)!.missing,
    plausible,
  );
  const confirmed = tested.filter((t) => t.confirmed);
  const note =
    `${candidates.length} candidate missingness rules between columns whose released histograms show missing values were tested privately (noisy counts of breaking ${who}, in the ledger): ` +
    (confirmed.length
      ? `${confirmed.length} confirmed; kept as the fewest rules with their effect (a rule between groups only where the released missing counts allow it): ${rules.length ? rules.map(describeRule).join('; ') : 'none'}.`
      : 'none confirmed.');
  return { confirmation: { tested, releases, rho: releases.reduce((sum, r) => sum + r.rho, 0), who, z: CONFIRM_LIMITS.z, note }, rules };
}

/**
 * Share of the run's ρ, beside MISSINGNESS_BUDGET_SHARE, for testing a number's or date's
 * missingness against one value of a category (confirmLevelMissingnessPrivately), when the
 * generator draws such columns apart from every other (marginals: GeneratorKind.drawsRulePairs).
 */
export const LEVEL_MISSINGNESS_BUDGET_SHARE = 0.01;

/** Most candidates screened by confirmLevelMissingnessPrivately in one run (rhc has about 35). */
const MAX_LEVEL_CANDIDATES = 256;

/** Most values of a category tested as the one a column is present with (as from-measurements' PARENT_VALUES). */
const LEVEL_PARENT_VALUES = 20;

/**
 * Rules "b present only when a is v", b a number or date whose released histogram shows missing
 * values and a a category of at most LEVEL_PARENT_VALUES values, tested through the ledger after
 * the column histograms: rhc's `dthdte` present only when `death` is "Yes". The marginals
 * generator draws such a column apart from every other (its rule pairs hold discrete columns
 * only): without the rule, rhc's death dates fell on survivors in 1 row in 5. Candidates by the
 * released counts alone (post-processing): v clears its count's noise, b's present cells fit
 * within v's rows (present ≤ v's count + 3 deviations of their difference's noise), and unrelated
 * columns would break the rule in at least max(z σ, CONFIRM_LIMITS.chanceShare × rows) rows; at
 * most MAX_LEVEL_CANDIDATES, those unrelated columns would break most first. Then a screen and a
 * count, as confirmMissingnessPrivately's; a column keeps the confirmed rule with the lowest count.
 * Undefined (nothing spent) when there is no candidate, or when the count's noise could not tell a
 * rule from one broken in CONFIRM_LIMITS.maxBrokenShare of the rows.
 */
export function confirmLevelMissingnessPrivately(
  schema: Schema,
  table: Table,
  histograms: readonly (ColumnHistogram | undefined)[],
  options: {
    rho: number;
    random: SecureRandom;
    /** Parents: columns the rule layer leaves as drawn. */
    eligible: (column: ColumnSchema) => boolean;
    /** Columns a missingness rule may blank (offsets too). */
    blankable: (column: ColumnSchema) => boolean;
    /** The released (noisy) row count. */
    rows: number;
  },
): MissingnessConfirmation | undefined {
  if (options.rho <= 0) return undefined;
  const rows = Math.max(1, options.rows);
  const sigma = sigmaFor(options.rho * (1 - MISSINGNESS_SCREEN_SHARE));
  // Too few rows to tell a rule from one broken in a few of them: nothing tested (pbc's 334
  // training rows at σ 20 confirmed "trig present only when ascites is 0", which 24 break).
  if (threshold(sigma) > CONFIRM_LIMITS.maxBrokenShare * rows) return undefined;
  const floor = Math.max(threshold(sigma), CONFIRM_LIMITS.chanceShare * rows);
  const children = schema.columns.flatMap((column, index) => {
    const h = histograms[index];
    // A whole number paired with the categories in the rule pairs shows its missing cells there.
    if (!h || !isModelled(column) || !options.blankable(column) || h.type !== 'numeric' || pairCells(h, true)) return [];
    return h.missing >= MISSING_SHARE * rows && h.missing >= CONFIRM_LIMITS.z * (h.sigma ?? 0) ? [{ column, h }] : [];
  });
  const parents = schema.columns.flatMap((column, index) => {
    const h = histograms[index];
    return h?.type === 'categorical' && isModelled(column) && options.eligible(column) && h.levels.length <= LEVEL_PARENT_VALUES ? [{ column, h }] : [];
  });
  const scored: { rule: MissingWhenRule; byChance: number }[] = [];
  for (const b of children) {
    const present = Math.max(0, rows - b.h.missing);
    for (const a of parents) {
      const aSigma = a.h.sigma ?? 0;
      a.h.levels.forEach((level, v) => {
        const count = a.h.counts[v];
        if (!(count >= CONFIRM_LIMITS.z * aSigma) || present - count > 3 * Math.hypot(aSigma, b.h.sigma ?? 0)) return;
        const byChance = present * Math.max(0, 1 - count / rows);
        if (byChance >= floor) scored.push({ rule: { kind: 'missingWhen', column: b.column.name, parent: a.column.name, presentOnlyWhen: [level], source: 'inferred', enforce: true }, byChance });
      });
    }
  }
  if (!scored.length) return undefined;
  const candidates = scored.sort((x, y) => y.byChance - x.byChance).slice(0, MAX_LEVEL_CANDIDATES).map((c) => c.rule);
  const who = table.units ? 'people' : 'rows';
  const { tested, releases } = screenThenCount(schema, table, candidates, options.rho, options.random, `candidate rules "a number or date present only when a category is one value"`);
  const best = new Map<string, TestedRule>();
  for (const t of tested) {
    const column = (t.rule as MissingWhenRule).column;
    if (t.confirmed && !(t.noisyBroken >= (best.get(column)?.noisyBroken ?? Infinity))) best.set(column, t);
  }
  const rules = [...best.values()].map((t) => t.rule as MissingWhenRule);
  const note =
    `${candidates.length} candidate rules "a number or date present only when a category is one value" (by the released counts) were tested privately (noisy counts of breaking ${who}, in the ledger): ` +
    (rules.length ? `kept ${rules.map(describeRule).join('; ')}.` : 'none confirmed.');
  return { confirmation: { tested, releases, rho: releases.reduce((sum, r) => sum + r.rho, 0), who, z: CONFIRM_LIMITS.z, note }, rules };
}

/**
 * Two releases of the weighted counts of rows (or people) breaking candidate rules (a unit
 * breaking s candidates adds 1/√s to each: L2 sensitivity 1): a screen of every candidate with
 * MISSINGNESS_SCREEN_SHARE of `rho`, then a count of those it did not find clearly broken with the
 * rest. A candidate is confirmed when its count is at most z σ.
 */
function screenThenCount(schema: Schema, table: Table, candidates: Rule[], rho: number, random: SecureRandom, kind: string): { tested: TestedRule[]; releases: ReleaseEntry[] } {
  const who = table.units ? 'people' : 'rows';
  const unit = unitOf(table);
  const screenSigma = sigmaFor(rho * MISSINGNESS_SCREEN_SHARE);
  const sigma = sigmaFor(rho * (1 - MISSINGNESS_SCREEN_SHARE));
  const releases: ReleaseEntry[] = [];
  const release = (rules: Rule[], share: number, noise: number, what: string): number[] => {
    releases.push({ column: RULES_RELEASE_COLUMN, what, rho: rho * share, sigma: noise });
    return releaseBatch(unit, rules.map(() => 0), breakers(schema, table, rules), noise, random);
  };
  const screen = release(candidates, MISSINGNESS_SCREEN_SHARE, screenSigma, `weighted counts of ${who} breaking each of ${candidates.length} ${kind}`);
  const screened = candidates.filter((_, k) => screen[k] <= threshold(screenSigma));
  const counted = screened.length ? release(screened, 1 - MISSINGNESS_SCREEN_SHARE, sigma, `weighted counts of ${who} breaking each of ${screened.length} ${kind} kept by the screen`) : [];
  const tested = candidates.map((rule, k): TestedRule => {
    const at = screened.indexOf(rule);
    return at >= 0
      ? { rule, noisyBroken: counted[at], sigma, noisyScreen: screen[k], confirmed: counted[at] <= threshold(sigma) }
      : { rule, noisyBroken: screen[k], sigma: screenSigma, noisyScreen: screen[k], confirmed: false };
  });
  return { tested, releases };
}

/**
 * Share of the run's ρ spent on determines rules confirmed after the histograms
 * (confirmDeterminesPrivately): out of the model's share where the generator takes what the target
 * leaves, else kept aside from the histograms' (unspent when no pair qualifies).
 */
export const DETERMINES_BUDGET_SHARE = 0.03;

/** Of it, the joint histograms' share; the rest counts the breaking rows of the rules read off them. */
const DETERMINES_PAIRS_SHARE = 0.6;

/**
 * Share of the run's ρ, beside DETERMINES_BUDGET_SHARE, for a second look at the pairs whose
 * counts were consistent with rules they could not tell from chance, when the generator draws
 * the pairs behind its rules from those counts (marginals: GeneratorKind.drawsRulePairs).
 */
export const SECOND_LOOK_BUDGET_SHARE = 0.015;
/**
 * Pairs looked at again at most. At 8, rhc's `death` × `dth30` lost its place to pairs of
 * unrelated columns in about 1 run in 3, and `death` "No" → `dth30` "No" went unread.
 */
const SECOND_LOOK_PAIRS = 16;

/**
 * Determines rules between discrete columns ("`sfdm2` <2 mo. follow-up → `death` 1"), confirmed
 * through the ledger after the column histograms, whichever pairs the generator measures:
 * marginals measures none, and the trees of pgm and of the raked tVAE keep d − 1 pairs, chosen
 * for the information they carry. support2's rule above (3,123 rows, none breaking it) lay off
 * pgm's tree, was never read, and 0.5-3.6 % of synthetic rows broke it.
 *
 * Two releases: joint histograms of the pairs of discrete columns whose released histograms
 * could show a rule at the noise their number sets (rule-pairs.ts),
 * and, for the rules read off them (rules/from-measurements.ts: a value's rows all in one value
 * of the other column, where unrelated columns would put many outside), a batch of weighted
 * counts of the units breaking each (as confirmRulesPrivately's). The histograms' noise (σ 30-100
 * a cell with 6-64 pairs at ε 3) cannot tell a rule from one broken by a hundred rows: read off
 * them alone, rhc's `income` "$25-$50k" → `chfhx` 0 (129 of 1,165 real rows break it) was
 * enforced. The count, at σ about 15 at ε 3 whatever the number of candidates, can. A candidate
 * is confirmed when its count is at most z σ; of those, one rule sets each column, none sets a column declared rules or
 * `taken` columns (blanked by confirmed missingness rules) hold, and none closes a circle.
 * Undefined (nothing spent) when no pair of discrete columns could show a rule at this budget.
 */
export function confirmDeterminesPrivately(
  schema: Schema,
  table: Table,
  histograms: readonly (ColumnHistogram | undefined)[],
  options: RulePairsOptions & {
    /** Columns another confirmed rule already sets or blanks. */
    taken?: ReadonlySet<string>;
    /** ρ of a second look at pairs the first could not read in full (none: no second look). */
    secondLookRho?: number;
  },
): (LaterConfirmation & { /** The measured pairs (combined where looked at twice) the kept determines rules were read off. */ pairs: MeasuredPair[] }) | undefined {
  const measured = measureRulePairs(schema, table, histograms, { ...options, rho: options.rho * DETERMINES_PAIRS_SHARE });
  if (!measured) return undefined;
  const leftAsDrawn = new Set(schema.columns.filter((c) => options.eligible(c)).map((c) => c.name));
  const rewritten = (column: string): boolean => !leftAsDrawn.has(column);
  const releases: ReleaseEntry[] = [measured.release];
  let pairs = measured.pairs;
  let pairsWords = `Joint histograms of ${measured.pairs.length} pairs of ${measured.columns.length} discrete columns were released (noise σ ${measured.sigma.toFixed(1)} a cell, in the ledger)`;
  const again = options.secondLookRho ? secondLook(schema, table, pairs, rewritten, { ...options, rho: options.secondLookRho }) : undefined;
  if (again) {
    const combined = new Map(again.pairs.map((p) => [p.columns.join(), p]));
    pairs = pairs.map((p) => combined.get(p.columns.join()) ?? p);
    releases.push(again.release);
    pairsWords += `, and ${again.pairs.length} of them again (σ ${again.sigma.toFixed(1)})`;
  }
  const candidates = rulesFromMeasurements(schema, pairs, rewritten, options.otherLabel);
  const who = table.units ? 'people' : 'rows';
  const outcome = (tested: TestedRule[], rules: Rule[], note: string): LaterConfirmation & { pairs: MeasuredPair[] } => ({
    confirmation: { tested, releases, rho: releases.reduce((sum, r) => sum + r.rho, 0), who, z: CONFIRM_LIMITS.z, note },
    rules,
    pairs: pairs.filter((pair) => {
      const names = pair.columns.map((c) => schema.columns[c].name);
      return rules.some((rule) => rule.kind === 'determines' && names.includes(rule.from) && names.includes(rule.to));
    }),
  });
  if (!candidates.length) return outcome([], [], `${pairsWords}; no rule fixing one column's value from another's could be read off them.`);
  const rhoCount = options.rho * (1 - DETERMINES_PAIRS_SHARE);
  const sigma = sigmaFor(rhoCount);
  releases.push({ column: RULES_RELEASE_COLUMN, what: `weighted counts of ${who} breaking each of ${candidates.length} candidate rule${candidates.length === 1 ? '' : 's'} read off those joint histograms`, rho: rhoCount, sigma });
  const counted = releaseBatch(unitOf(table), candidates.map(candidateGroup), breakers(schema, table, candidates), sigma, options.random);
  const tested: TestedRule[] = candidates.map((rule, k) => ({ rule, noisyBroken: counted[k], sigma, confirmed: counted[k] <= threshold(sigma), readOffPairs: true }));
  // In the order read (rules binding more rows first): one rule sets or blanks each column.
  const declaredSet = new Set((schema.rules ?? []).flatMap((r) => (r.source === 'declared' && r.kind === 'determines' ? [r.to] : r.source === 'declared' && r.kind === 'missingWhen' ? [r.column] : [])));
  const set = new Set([...declaredSet, ...(options.taken ?? [])]);
  const edges: DeterminesRule[] = [];
  const reaches = (from: string, to: string): boolean => from === to || edges.some((e) => e.from === from && reaches(e.to, to));
  const kept: Rule[] = [];
  for (const test of tested.filter((t) => t.confirmed)) {
    const rule = test.rule;
    const column = rule.kind === 'determines' ? rule.to : rule.kind === 'missingWhen' ? rule.column : undefined;
    if (column === undefined || set.has(column)) continue;
    if (rule.kind === 'determines' && reaches(rule.to, rule.from)) continue;
    set.add(column);
    if (rule.kind === 'determines') edges.push(rule);
    kept.push(rule);
  }
  const confirmedCount = tested.filter((t) => t.confirmed).length;
  return outcome(
    tested,
    kept,
    `${pairsWords}; ${candidates.length} candidate rule${candidates.length === 1 ? '' : 's'} fixing one column's value from another's ${candidates.length === 1 ? 'was' : 'were'} read off them and tested privately (noisy counts of breaking ${who}, in the ledger): ` +
      (kept.length ? `${confirmedCount} confirmed, ${kept.length} kept (one rule sets each column): ${kept.map(describeRule).join('; ')}.` : 'none confirmed.'),
  );
}

/**
 * The pairs to measure again, and their combined counts: those whose first counts show values held
 * by one value of the other column, too few to tell from chance (untoldValues). As many pairs, at
 * most SECOND_LOOK_PAIRS, as let the combined counts tell the most rows' rules (each pair measured
 * again costs noise on the others). At adult's ε 3 the first look (39 pairs at σ 77) told
 * `education` → `education_num` for 7 of its 16 levels; drawn from the combined counts, 0.1-0.3 %
 * of the marginals generator's rows broke it, 0.7-3 % from the first look's alone. Undefined,
 * nothing spent, when no pair would tell more.
 */
function secondLook(
  schema: Schema,
  table: Table,
  pairs: readonly MeasuredPair[],
  rewritten: (column: string) => boolean,
  options: RulePairsOptions,
): ReturnType<typeof remeasurePairs> | undefined {
  if (options.rho <= 0) return undefined;
  const untold = pairs.map((pair) => untoldValues(schema, pair, rewritten, options.otherLabel));
  const sigmaAgain = (n: number): number => (options.maxRowsPerUnit ?? 1) * Math.sqrt(n / (2 * options.rho));
  const tellable = (n: number): { pair: number; rows: number }[] => {
    const told = untold.map((directions, pair) => {
      const sigma = 1 / Math.sqrt(1 / pairs[pair].sigma ** 2 + 1 / sigmaAgain(n) ** 2);
      const rows = Math.max(0, ...directions.map((values) => values.reduce((sum, v) => sum + (v.unrelated >= 2 * MEASURED_RULE_Z * sigma * Math.sqrt(v.cells - 1) ? v.unrelated : 0), 0)));
      return { pair, rows };
    });
    return told.filter((t) => t.rows > 0).sort((p, q) => q.rows - p.rows).slice(0, n);
  };
  let best: { pair: number; rows: number }[] = [];
  let bestRows = 0;
  for (let n = 1; n <= SECOND_LOOK_PAIRS; n++) {
    const chosen = tellable(n);
    const rows = chosen.reduce((sum, t) => sum + t.rows, 0);
    if (chosen.length === n && rows > bestRows) [best, bestRows] = [chosen, rows];
  }
  if (!best.length) return undefined;
  const name = (pair: MeasuredPair): string => pair.columns.map((c) => schema.columns[c].name).join(' × ');
  return remeasurePairs(table, best.map((t) => pairs[t.pair]), options, name);
}

/** A missingness rule's parent and column, as one key. */
function pairKey(rule: Pick<MissingWhenRule, 'parent' | 'column'>): string {
  return `${rule.parent}\u0000${rule.column}`;
}

/**
 * The fewest missingness rules that keep every confirmed one among `columns` (post-processing).
 * Columns that reach each other through confirmed rules (a strongly connected set: each missing
 * wherever another is, through a chain of them) are missing in the same rows: a group, kept as a
 * ring, each column blanked where the one before it (in the order of their released missing
 * counts) is missing and the first where the last is; the layer blanks to a fixpoint, so that any
 * of them missing leaves all of them missing. A group that a confirmed rule ties to another is
 * blanked where that one is missing, through one rule, unless a chain of such links already
 * implies it (when `linkable` allows one). Every rule confirmed within a group, and between groups
 * where a link is kept, then holds in every row the layer leaves. Grouped one by one
 * in the order of their missing counts instead (each column joining a group only when it
 * confirmed every member both ways), pbc's `trt` was kept out of its block in some runs once
 * `chol`, missing in 28 more rows, had joined it first: the block then broke in 25-44 % of the DP
 * tVAE's rows.
 */
export function missingnessStructure(
  columns: readonly string[],
  confirmed: readonly MissingWhenRule[],
  missingCount: (column: string) => number,
  /** Whether a confirmed rule may link two groups. */
  linkable: (parent: string, column: string) => boolean = () => true,
): MissingWhenRule[] {
  const index = new Map(columns.map((name, i) => [name, i]));
  const out: number[][] = columns.map(() => []);
  for (const rule of confirmed) {
    const [a, b] = [index.get(rule.parent), index.get(rule.column)];
    if (a !== undefined && b !== undefined && a !== b) out[a].push(b);
  }
  const component = strongComponents(out);
  const count = Math.max(0, ...component) + 1;
  const byMissing = (x: number, y: number): number => missingCount(columns[x]) - missingCount(columns[y]) || x - y;
  const members: number[][] = Array.from({ length: count }, () => []);
  columns.forEach((_, i) => members[component[i]].push(i));
  for (const m of members) m.sort(byMissing);
  // Links between groups, each by its first confirmed pair in the members' order.
  const links = new Map<number, Map<number, [number, number]>>();
  for (let g = 0; g < count; g++) links.set(g, new Map());
  for (const from of members.flat().sort(byMissing)) {
    for (const to of [...out[from]].sort(byMissing)) {
      const [f, g] = [component[from], component[to]];
      if (f !== g && !links.get(g)!.has(f) && linkable(columns[from], columns[to])) links.get(g)!.set(f, [from, to]);
    }
  }
  // Groups in an order where every linked group comes first, ties by their fewest missing values.
  const order: number[] = [];
  const pending = new Set(Array.from({ length: count }, (_, g) => g));
  while (pending.size) {
    const ready = [...pending].filter((g) => [...links.get(g)!.keys()].every((f) => !pending.has(f)));
    const next = ready.sort((x, y) => byMissing(members[x][0], members[y][0]))[0];
    order.push(next);
    pending.delete(next);
  }
  const rule = (parent: number, column: number): MissingWhenRule => ({ kind: 'missingWhen', column: columns[column], parent: columns[parent], source: 'inferred', enforce: true });
  const rules: MissingWhenRule[] = [];
  for (const g of order) if (members[g].length > 1) members[g].forEach((column, k) => rules.push(rule(members[g][(k + members[g].length - 1) % members[g].length], column)));
  // reach[g]: the groups whose missing values reach g's through the links kept.
  const reach: Set<number>[] = Array.from({ length: count }, () => new Set());
  for (const g of order) {
    // Latest first: a link from a group that an already kept link reaches is implied by it.
    const parents = [...links.get(g)!.keys()].sort((x, y) => order.indexOf(y) - order.indexOf(x));
    for (const f of parents) {
      if (reach[g].has(f)) continue;
      const [from, to] = links.get(g)!.get(f)!;
      rules.push(rule(from, to));
      reach[g].add(f);
      for (const earlier of reach[f]) reach[g].add(earlier);
    }
  }
  return rules;
}

/** Strongly connected components (Tarjan): a component number per node. */
function strongComponents(out: readonly number[][]): number[] {
  const n = out.length;
  const component = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const seen = new Array<number>(n).fill(-1);
  const stack: number[] = [];
  const onStack = new Array<boolean>(n).fill(false);
  let counter = 0;
  let components = 0;
  const visit = (v: number): void => {
    seen[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = true;
    for (const w of out[v]) {
      if (seen[w] < 0) {
        visit(w);
        low[v] = Math.min(low[v], low[w]);
      } else if (onStack[w]) low[v] = Math.min(low[v], seen[w]);
    }
    if (low[v] !== seen[v]) return;
    for (;;) {
      const w = stack.pop()!;
      onStack[w] = false;
      component[w] = components;
      if (w === v) break;
    }
    components++;
  };
  for (let v = 0; v < n; v++) if (seen[v] < 0) visit(v);
  return component;
}

/**
 * Largest noisy count that still confirms a rule: Z σ. A rule that some rows break adds their
 * weights w (each 1/√s, s the candidates of its batch a row breaks) to its count, and is confirmed
 * by mistake with probability Φ((Zσ − w) / σ): under 0.14 % once w ≥ 2 Zσ, which the minimum row
 * count bounds at 2 × maxBrokenShare = 4 % of the rows for a row breaking only this candidate; a
 * row breaking many candidates weighs less, so rules broken in a few percent of rows can pass.
 * Enforcing such a rule moves those few rows to keep it; the card shows each count.
 */
function threshold(sigma: number): number {
  return CONFIRM_LIMITS.z * sigma;
}

/** σ of a release of L2 sensitivity 1 that costs `rho` (zCDP). */
function sigmaFor(rho: number): number {
  return Math.sqrt(1 / (2 * rho));
}

interface Units {
  count: number;
  /** Unit of each row (undefined: each row is its own). */
  of?: Int32Array;
}

function unitOf(table: Table): Units {
  if (!table.units) return { count: table.rowCount };
  let count = 0;
  for (const u of table.units) if (u + 1 > count) count = u + 1;
  return { count, of: table.units };
}

/**
 * Orders and implications weigh apart in a batch: a unit breaking s_g candidates of group g adds
 * √(share_g / S) / √s_g to each, S the sum of the shares of the groups it breaks any candidate of
 * (norm² Σ_g s_g share_g / (S s_g) = 1). Under the plain 1/√s an implication shares a row's weight
 * with the many orders it breaks (in the screen, hundreds): support2's hospdead ≤ death passed
 * the chance counts in 3 of 16 tests on a training split. With a quarter of such a row's norm²,
 * in 32 of 32, while the orders' chance counts (slos ≤ d.time, dnrday ≤ d.time) stay where they
 * were, with 0.04 more of the ρ on them (rhoShares).
 */
const GROUP_SHARES = [3 / 4, 1 / 4];

function candidateGroup(rule: Rule): number {
  return rule.kind === 'determines' ? 1 : 0;
}

/** Chance that noise alone lifts any screened candidate's chance count over its floor. */
const CHANCE_FALSE_PASS = 1e-3;

/** Consecutive pairs of a secure random order: inserting one row replaces one pair with two. */
const CHANCE_SENSITIVITY = 3;

/**
 * For each unit (row, or person), calls `visit` with the candidates it breaks; `Breakers` yields
 * them row by row, with the row's unit.
 */
type Breakers = (visit: (unit: number, broken: readonly number[]) => void) => void;

/** Rows breaking each of `rules`, row by row. */
function breakers(schema: Schema, table: Table, rules: Rule[]): Breakers {
  const tests = rules.map((rule) => ruleTest(schema, rule, table));
  const units = table.units;
  return (visit) => {
    const broken: number[] = [];
    for (let r = 0; r < table.rowCount; r++) {
      broken.length = 0;
      for (let k = 0; k < tests.length; k++) if (!tests[k](r)) broken.push(k);
      if (broken.length) visit(units ? units[r] : r, broken);
    }
  };
}

/**
 * The candidates broken between unrelated units: one row per unit (its first), in a secure random
 * order, each row's `low` (an implication's `from`) against the next row's `high` (`to`). A file
 * with one more unit has the same order with that unit inserted at a uniformly random place, which
 * turns one pair into two: each term is one unit's vector of L2 norm ≤ 1, so the counts move by at
 * most CHANCE_SENSITIVITY in L2 (the coupling argument of privateSplit, generate.ts: a mixture of
 * releases each within the bound, and Rényi divergence is jointly quasi-convex).
 */
function chanceBreakers(schema: Schema, table: Table, unit: Units, rules: Rule[], random: SecureRandom): Breakers {
  const tests = rules.map((rule) => ruleTest(schema, rule, table));
  const first = new Int32Array(unit.count).fill(-1);
  for (let r = 0; r < table.rowCount; r++) {
    const u = unit.of ? unit.of[r] : r;
    if (first[u] < 0) first[u] = r;
  }
  const rows = Array.from(first).filter((r) => r >= 0);
  random.shuffle(rows);
  return (visit) => {
    const broken: number[] = [];
    for (let i = 0; i + 1 < rows.length; i++) {
      broken.length = 0;
      for (let k = 0; k < tests.length; k++) if (!tests[k](rows[i], rows[i + 1])) broken.push(k);
      if (broken.length) visit(i, broken);
    }
  };
}

/**
 * The weighted counts of the units `each` reports (see the file's comment), each plus discrete
 * Gaussian noise of σ (in count units): a vector of L2 sensitivity 1 per unit.
 */
function releaseBatch(unit: Units, groupOf: readonly number[], each: Breakers, sigma: number, random: SecureRandom): number[] {
  const sums = new Float64Array(groupOf.length);
  const perGroup = GROUP_SHARES.map(() => 0);
  const add = (broken: Iterable<number>): void => {
    perGroup.fill(0);
    for (const k of broken) perGroup[groupOf[k]]++;
    const shares = perGroup.reduce((sum, n, g) => sum + (n ? GROUP_SHARES[g] : 0), 0);
    const weights = perGroup.map((n, g) => (n ? Math.floor(WEIGHT_SCALE * Math.sqrt(GROUP_SHARES[g] / (shares * n))) : 0));
    for (const k of broken) sums[k] += weights[groupOf[k]];
  };
  // With a privacy unit, a person breaks a candidate when any of their rows does.
  const byUnit = unit.of ? new Map<number, Set<number>>() : undefined;
  each((u, broken) => {
    if (!byUnit) return add(broken);
    let set = byUnit.get(u);
    if (!set) byUnit.set(u, (set = new Set()));
    for (const k of broken) set.add(k);
  });
  for (const set of byUnit?.values() ?? []) add(set);
  const noise = discreteGaussianNoise(random, sigma * WEIGHT_SCALE);
  return Array.from(sums, (sum) => (sum + noise()) / WEIGHT_SCALE);
}
