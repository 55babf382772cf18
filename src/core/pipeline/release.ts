import * as path from 'node:path';
import { lengthHistogram } from '../placeholder-text';
import { dpSchedule } from '../generators/tvae';
import type { ExactRelease, GeneratorKind, Phase, PrivateRelease, PrivacyRequest } from '../generators/types';
import type { BudgetPlan } from '../privacy/budget';
import { ledger } from '../privacy/budget';
import { DEFAULT_OTHER_LABEL, latticeDecimals, privateStatistics, releaseCount, SMALL_FILE_MARGIN } from '../privacy/preprocess';
import { percentForPeople } from '../percent';
import { confirmDeterminesPrivately, confirmLevelMissingnessPrivately, confirmMissingnessPrivately, DETERMINES_BUDGET_SHARE, LEVEL_MISSINGNESS_BUDGET_SHARE, MISSINGNESS_BUDGET_SHARE, RULES_RELEASE_COLUMN, SECOND_LOOK_BUDGET_SHARE } from '../privacy/rule-confirmation';
import { RULE_PAIRS_RELEASE_COLUMN } from '../privacy/rule-pairs';
import type { LaterConfirmation } from '../rules/plan';
import { bindUnits } from '../privacy/units';
import { Random } from '../random';
import type { BoundedUnits, NumericHistogram, PrivacyUnitStatement, PrivateStatistics, ReleaseEntry } from '../release/types';
import { neutralIdentifier } from '../schema/identifiers';
import { unitColumn } from '../schema/privacy-unit';
import type { ColumnSchema, Schema } from '../schema/types';
import { isModelled, type Table } from '../table';
import { TableTransformer } from '../transform/transformer';
import type { GenerateOptions } from './types';
import { ENTITY_SHARE, privateEntities, type EntityInput, type PrivateEntities } from './entities';

/**
 * Share of preprocessing's budget spent on the rows-per-person histogram (privacy unit): about what
 * one column's release gets; it sets the bound k and the number of people DP-SGD samples from.
 */
export const UNIT_SIZES_SHARE = 0.1;

export interface ReleaseInput {
  /** The learning schema and training rows. */
  schema: Schema;
  table: Table;
  generator: GeneratorKind;
  options: GenerateOptions;
  random: Random;
  phase: Phase;
}

/**
 * Release stage. Without privacy: the column transformers fitted on the training rows. With it:
 * every statistic taken from the private rows goes through a DP mechanism charged to one budget
 * (privacy/preprocess.ts, privacy/budget.ts), with the person-level bounding first when the
 * schema has a privacy unit; the generator then fits from this release.
 */
export function exactRelease({ schema, table, options, random, phase }: ReleaseInput): ExactRelease {
  phase('fit', 'Fitting column transformers');
  const transformer = TableTransformer.fit(schema, table, { seed: random.nextUint32() });
  return {
    private: false,
    schema: withPlaceholderLengths(
      modelSchema(schema),
      table.columns.map((data, index) => (!options.blankText && schema.columns[index].kind === 'text' && data.type === 'none' && data.lengths ? lengthHistogram(data.lengths) : undefined)),
    ),
    transformer,
  };
}

export function privateRelease(
  { schema, table, generator, options, random, phase }: ReleaseInput,
  privacy: { request: PrivacyRequest; plan: BudgetPlan },
  /** Releases made before this stage (the split's count, rule confirmation), inside preprocessing's budget. */
  spent: ReleaseEntry[],
  pairs: [number, number][],
  entityInput?: EntityInput,
  /**
   * Rules found under DP (not turned off): once the histograms are released, test missingness rules
   * between the columns they show missing values in, then determines rules between discrete
   * columns; `eligible`: columns the rule layer leaves as they are; `blankable`: columns a
   * missingness rule may blank (offsets too).
   */
  later?: { eligible: (column: ColumnSchema) => boolean; blankable: (column: ColumnSchema) => boolean },
): PrivateRelease & { afterHistograms: LaterConfirmation[] } {
  const { request, plan } = privacy;
  const accountant = request.accountant ?? 'pld';
  // The sampling rate is part of every private request: checked before anything is released.
  dpSchedule(request.samplingRate, options.epochs);
  // Every DP draw (noise, thresholds, batch coins) comes from this CSPRNG stream, never from the seed.
  const noise = Random.secure();
  const budget = generator.budget(plan, accountant, { raking: options.raking, modelledColumns: schema.columns.filter(isModelled).length, unit: unitColumn(schema) !== undefined });
  // The split's noisy count and the rules' counts (if any) came out of the preprocessing budget.
  const countRho = spent.reduce((sum, r) => sum + r.rho, 0);
  let rhoHistograms = budget.preprocessing - countRho;
  // The missingness and determines rules are confirmed after the histograms: out of the model's
  // share where the generator takes what the target leaves, else kept aside from the histograms'
  // (unspent when no column shows missing values, or no pair of discrete columns qualifies).
  const rhoMissingness = later ? plan.rhoTarget * MISSINGNESS_BUDGET_SHARE : 0;
  const rhoDetermines = later ? plan.rhoTarget * DETERMINES_BUDGET_SHARE : 0;
  const rhoSecondLook = later && generator.drawsRulePairs ? plan.rhoTarget * SECOND_LOOK_BUDGET_SHARE : 0;
  const rhoLevels = later && generator.drawsRulePairs ? plan.rhoTarget * LEVEL_MISSINGNESS_BUDGET_SHARE : 0;
  if (!generator.modelTakesRest) rhoHistograms -= rhoMissingness + rhoDetermines + rhoSecondLook + rhoLevels;
  // Person-level privacy: bound each person's rows first (privacy/units.ts); every later release
  // then has sensitivity k, and DP-SGD samples people.
  const unitName = unitColumn(schema);
  // The graphical model groups bins into its own cells: it wants the fine detail (tails, one bin
  // per whole number, point masses).
  const fineDetail = generator.name === 'pgm';
  let units: BoundedUnits | undefined;
  if (unitName) {
    phase('fit', `Bounding the rows of each person identified by ${unitName}`);
    const rhoUnits = rhoHistograms * UNIT_SIZES_SHARE;
    rhoHistograms -= rhoUnits;
    const declared = schema.privacyUnit !== 'row' ? schema.privacyUnit?.maxRowsPerUnit : undefined;
    units = bindUnits(table, {
      column: unitName,
      rho: rhoUnits,
      maxRowsPerUnit: declared,
      random: noise,
      sigma1: Math.sqrt(releaseCount(schema, { needsCounts: true, pairs, textLengths: !options.blankText, fineDetail }) / (2 * rhoHistograms)),
    });
  }
  // Entities: their shape released per person, from its own share of the budget.
  let entities: PrivateEntities | undefined;
  if (entityInput) {
    const rhoEntities = unitName ? rhoHistograms * ENTITY_SHARE : 0;
    entities = privateEntities(entityInput, schema, table, units, unitName, rhoEntities, noise);
    rhoHistograms -= entities.rho;
  }
  phase('fit', 'Releasing column statistics with differential privacy');
  const released = privateStatistics(schema, units?.table ?? table, {
    rho: rhoHistograms,
    thresholdDelta: plan.thresholdDeltaPerColumn,
    random: noise,
    delta: plan.delta,
    needsCounts: true,
    pairs,
    textLengths: !options.blankText,
    maxRowsPerUnit: units?.maxRowsPerUnit,
    fineDetail,
    histogramsOnly: !generator.modelTakesRest,
    file: path.basename(options.input),
  });
  const trainingRows = units?.table ?? table;
  const missingness = later && confirmMissingnessPrivately(schema, trainingRows, released.histograms, { rho: rhoMissingness, random: noise, eligible: later.eligible, rows: released.releasedRowCount });
  const levels = later && confirmLevelMissingnessPrivately(schema, trainingRows, released.histograms, { rho: rhoLevels, random: noise, eligible: later.eligible, blankable: later.blankable, rows: released.releasedRowCount });
  const determines =
    later &&
    confirmDeterminesPrivately(schema, trainingRows, released.histograms, {
      rho: rhoDetermines,
      random: noise,
      eligible: later.eligible,
      otherLabel: DEFAULT_OTHER_LABEL,
      maxRowsPerUnit: units?.maxRowsPerUnit,
      taken: new Set([...(missingness?.rules ?? []), ...(levels?.rules ?? [])].map((r) => r.column)),
      secondLookRho: rhoSecondLook,
      wholeNumbersByCommonest: generator.drawsRulePairs,
    });
  const afterHistograms = [missingness, levels, determines].filter((c) => c !== undefined);
  // The split's count, the rules' counts, the rows-per-person and entity releases are part of preprocessing's budget and ledger.
  const extra = [...spent, ...(units?.releases ?? []), ...(entities?.releases ?? [])];
  const stats: PrivateStatistics =
    extra.length || afterHistograms.length
      ? {
          ...released,
          rho: released.rho + countRho + (units?.rho ?? 0) + (entities?.rho ?? 0) + afterHistograms.reduce((sum, c) => sum + c.confirmation.rho, 0),
          releases: [...extra, ...released.releases, ...afterHistograms.flatMap((c) => c.confirmation.releases)],
        }
      : released;
  const unit: PrivacyUnitStatement = units
    ? {
        column: unitName!,
        maxRowsPerUnit: units.maxRowsPerUnit,
        maxRowsChosen:
          units.chosen === 'declared'
            ? 'declared in the schema or on the command line'
            : 'chosen privately from a noisy histogram of rows per person (in the ledger): the largest bound at which the people holding more rows outweigh the noise each extra row per person adds',
        extraRows: 'dropped at random, each person\'s kept rows chosen with secure random coins',
        noisyUnits: units.noisyUnits,
      }
    : 'row';
  const neighbour = units ? `one person (all rows with one ${unitName} value)` : 'one row';
  const unitWords = units ? `; it protects each person identified by ${unitName}, with up to ${units.maxRowsPerUnit.toLocaleString('en-GB')} of their rows` : '';
  const structure = withPlaceholderLengths(structuralSchema(schema, stats, options.schema !== undefined), stats.textLengths);
  const transformer = TableTransformer.fromFacts(structure, stats.facts, { seed: random.nextUint32() });
  const preprocessingAlone = ledger(stats.rho, 0, 1, 0).epsilon(plan.accountingDelta, accountant);
  const accountantName = accountant === 'pld' ? 'privacy loss distribution (PLD)' : 'Rényi DP (RDP)';
  const file = path.basename(options.input);
  // The same words for every generator: which file, which neighbours, what was released (the
  // preprocessing's part named from its ledger, the model's by the generator), and that ε is a bound.
  const releasedWords = preprocessingWords(stats.releases);
  const guarantee = (epsilon: number, model: string | undefined, accountantUsed = accountantName): string =>
    `(ε = ${epsilon.toFixed(2)}, δ = ${plan.delta.toExponential(1)})-differentially private for ${file}, with respect to adding or removing ${neighbour}${unitWords}: ${releasedWords}${model ? `; then ${model}` : ''}; all composed. ε is an upper bound computed by the ${accountantUsed} accountant.`;
  const common = {
    about: { file, neighbours: `any file that differs from it by ${neighbour}, added or removed` },
    unit,
    accountant: `${accountantName}, add/remove ${neighbour}`,
    declaredPublic: [
      ...stats.publicFacts,
      ...(options.schema
        ? ['The format facts of the schema you supplied (missing-value tokens, quoting, decimal places, identifier shapes): used as you declared them.']
        : []),
    ],
    notCovered: [
      'The schema structure: column names and order, the header, kinds, date formats, number conventions (a decimal comma, currency or % signs), which columns are identifiers and of which type, the entities (which keys group rows, how they nest, which columns are constant within each), the CSV dialect (delimiter, quote, line ending, byte-order mark) and the card\'s `notes` on how the file was read. It is read from the file, you review and approve it, and it is treated as public.',
      ...(options.schema
        ? []
        : ['Output formats are not read from the rows: missing values are written as empty cells, values quoted only where needed, decimal places follow the released histograms, identifiers take a standard shape. Supply a schema (--schema) to declare them.']),
      'The evaluation, the HTML report, the exact row counts in them and the holdout (its row count and row list): computed on the real data for the governance review, NOT differentially private. Remove the `evaluation` and `holdout` fields before publishing this card.',
      'Timings, in whole seconds: they grow with the size of the file.',
      'Identifier columns are regenerated in their format from the schema, never from values.',
    ],
    noiseSource: generator.noiseSource,
  };
  return {
    private: true,
    request,
    plan,
    accountant,
    budget,
    noise,
    stats,
    preprocessingAlone,
    ...(units ? { units } : {}),
    ...(entities ? { entities: { state: entities.state, note: entities.note } } : {}),
    pairs,
    rulePairs: determines?.pairs ?? [],
    schema: structure,
    transformer,
    guarantee,
    common,
    afterHistograms,
  };
}

/**
 * What preprocessing released, in the guarantee's words, read off its ledger so that no kind of
 * release goes unnamed: the row counts (the run's, and the one setting --max-training-rows' rate),
 * the columns' statistics (histograms, value counts, rows per person, entities' shapes) and, when
 * rules were tested, the counts of rows breaking candidate rules, and the joint histograms measured
 * to read rules off.
 */
function preprocessingWords(releases: readonly ReleaseEntry[]): string {
  const parts = ['noisy row counts', 'column statistics (histograms and counts of values)'];
  if (releases.some((r) => r.column === RULES_RELEASE_COLUMN)) parts.push('counts of rows breaking candidate rules (to confirm them)');
  if (releases.some((r) => r.column === RULE_PAIRS_RELEASE_COLUMN)) parts.push('joint histograms of pairs of discrete columns (to read rules off)');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}, released with the Gaussian mechanism`;
}

/**
 * The schema as released with a private model: structure only (names, kinds, date formats, the
 * dialect), which the user reviews and which the card lists as not covered. Counts, ranges and
 * category lists inferred from the rows are dropped; constants are kept only when declared public,
 * since a constant's value comes from the data. Facts that only format the output are not taken
 * from the rows, where one row can change them (one blank cell sets a missing-value token, one
 * long decimal the decimal places): they come from a schema the user supplied (a declaration), or
 * else from the release (decimal places from the released histogram's resolution) or a neutral
 * default (missing values written as empty cells, quoting only where needed, standard identifier
 * shapes). Whether a column has missing values at all is the released histogram's to say.
 */
function structuralSchema(schema: Schema, stats: PrivateStatistics, declared: boolean): Schema {
  return {
    ...schema,
    ...(schema.source ? { source: { file: schema.source.file } } : {}),
    rowCount: stats.rowCount,
    notes: [],
    columns: schema.columns.map((c, index) => {
      const { min: _min, max: _max, categories: _c, distinctCount: _d, text: _t, warnings: _w, readAsMissing: _r, formulaLike: _f, missingQuoted, number, identifier, ...rest } = c;
      const publicConstant = c.kind === 'constant' && c.public?.categories?.length === 1;
      const histogram = stats.histograms[index];
      // The column's conventions (decimal comma, currency or % signs) are kept as structure; digit
      // grouping (set by whichever values reach 1,000), padding and notation are not.
      const conventions = number ? { ...(number.decimalSeparator ? { decimalSeparator: number.decimalSeparator } : {}), ...(number.prefix ? { prefix: number.prefix } : {}), ...(number.suffix ? { suffix: number.suffix } : {}) } : {};
      const releasedNumber =
        c.kind === 'continuous' && histogram?.type === 'numeric'
          ? { decimals: decimalsForResolution(histogram), fixed: false, ...(histogram.spikes?.length ? { points: histogram.spikes.map((s) => s.value) } : {}), ...conventions }
          : c.kind === 'integer'
            ? { decimals: 0, fixed: false, ...conventions }
            : undefined;
      const format = declared ? number : releasedNumber;
      return {
        ...rest,
        missingCount: 0,
        missingRate: 0,
        distinctCount: 0,
        distinctExact: false,
        missingToken: declared ? c.missingToken : '',
        quoting: declared ? c.quoting : 'as-needed',
        ...(declared && missingQuoted !== undefined ? { missingQuoted } : {}),
        ...(format ? { number: format } : {}),
        ...(identifier ? { identifier: declared ? identifier : neutralIdentifier(identifier) } : {}),
        ...(publicConstant ? { categories: [{ value: c.public!.categories![0], count: 0 }] } : {}),
      };
    }),
  };
}

/**
 * Card notes on what the release could not keep: a file only a little larger than the budget
 * needs, and columns whose values fell mostly into "Other" (the user sees why the column says
 * little and what would keep its values: declaring them public, or a larger ε).
 */
export function releaseNotes(stats: PrivateStatistics): string[] {
  return [...smallFileNote(stats), ...otherNotes(stats)];
}

/** A file only a little larger than the budget needs: run, with word that the output is rough. */
function smallFileNote(stats: PrivateStatistics): string[] {
  if (!stats.smallFile) return [];
  const { rows, needed } = stats.smallFile;
  return [
    `About ${rows.toLocaleString('en-GB')} training rows (a noisy count), fewer than ${SMALL_FILE_MARGIN} times the ${needed.toLocaleString('en-GB')} the column statistics need at this budget: expect coarse bins, rare values in "${DEFAULT_OTHER_LABEL}" and the relationships between columns read roughly. A larger ε, fewer columns or more rows give more.`,
  ];
}

function otherNotes(stats: PrivateStatistics): string[] {
  const columns = stats.mostlyOther;
  if (!columns.length) return [];
  const threshold = Math.round(Math.max(...columns.map((c) => c.threshold)));
  const other = `"${DEFAULT_OTHER_LABEL}"`;
  if (columns.length === 1) {
    const [{ column, share }] = columns;
    return [
      `${column}: ${percentForPeople(share)} % of its synthetic values are ${other}: each of its values is held by fewer rows than the release threshold at this budget (a noisy count of about ${threshold}). If its list of values is not sensitive, declare it public in the schema (public.categories); otherwise a larger ε keeps more of them.`,
    ];
  }
  const listed = columns.map(({ column, share }) => `${column} (${percentForPeople(share)} %)`).join(', ');
  return [
    `${columns.length} columns have most of their synthetic values in ${other}: ${listed}. Each of their values is held by fewer rows than the release threshold at this budget (a noisy count of about ${threshold}). Where a column's list of values is not sensitive, declare it public in the schema (public.categories); otherwise a larger ε keeps more of them.`,
  ];
}

/**
 * Decimal places for a continuous column from its released histogram: the decimal lattice its
 * values show (latticeDecimals), else one more than a bin's width
 * needs (a tenth of a bin), at most 6. Bins are the resolution the release has; finer digits would
 * only show the generator's own noise.
 */
export function decimalsForResolution(histogram: NumericHistogram): number {
  // Values on a coarser decimal lattice the release shows (creatinine in tenths) keep it.
  const lattice = latticeDecimals(histogram);
  if (lattice !== undefined) return lattice;
  const width = (histogram.edges[histogram.edges.length - 1] - histogram.edges[0]) / Math.max(1, histogram.counts.length);
  if (!(width > 0)) return 0;
  return Math.max(0, Math.min(6, Math.ceil(-Math.log10(width)) + 1));
}

/** Free-text columns with a length histogram get placeholder text; the rest stay blank. */
function withPlaceholderLengths(schema: Schema, lengths: readonly (number[] | undefined)[]): Schema {
  return { ...schema, columns: schema.columns.map((c, i) => (lengths[i] ? { ...c, placeholderLengths: lengths[i] } : c)) };
}

/** The schema as the model file keeps it: per-category counts dropped (only the levels are needed). */
function modelSchema(schema: Schema): Schema {
  return {
    ...schema,
    columns: schema.columns.map((c) => ({ ...c, categories: c.categories?.map((k) => ({ value: k.value, count: 0 })) })),
  };
}

