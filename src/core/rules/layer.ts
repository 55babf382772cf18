/**
 * The rule layer between the table and any generator (tvae, marginals, ...): enforced rules are
 * kept by construction, so no generator has to learn them.
 * - order between dates: the later date is learned as an offset ≥ 0 from the latest of its
 *   earlier dates (b − a before fitting, a + offset after sampling; strict orders add one unit):
 *   stays and intervals vary on their own, so the offset is what a generator learns best; a
 *   soft order between dates (a few training rows break it) is learned the same way but signed,
 *   and not enforced;
 * - order between numbers: both columns are learned as they are and a sampled row that breaks
 *   the order takes the later value of another row that can give it (values exchanged, so each
 *   column keeps the generator's distribution). Numbers in order are often two readings of one
 *   thing (survival at 2 and at 6 months), whose difference alone has no shape to learn;
 * - difference / sum: the computed column is not learned but derived from its inputs;
 * - determines: the dependent column is set from its determinant through a mapping kept in the
 *   model file (declared combinations, or the training rows' pairs without DP);
 * - missingWhen: the column is blanked when its parent's value does not allow it.
 * A determines or missingWhen rule bound to some rows only (`when`, missingness) would shift the
 * dependent column's distribution if values were only overwritten (rows set to "metastatic" that
 * the generator had drawn elsewhere): each value overwritten is handed to a row the rule leaves
 * free that held the value set, so the column keeps the generator's distribution.
 * Rules the construction cannot cover (an order on a computed column, ...) are checked on every
 * sampled row and broken rows drawn again, a bounded number of times (sampler.ts).
 */
import { publicBounds } from '../schema/public-bounds';
import type { ColumnSchema, DeterminesRule, MissingWhenRule, Rule, Schema } from '../schema/types';
import type { Table, ColumnData } from '../table';
import { allowedParentValues, describeRule, majorityMapping, normaliseValue, ruleColumns, ruleTest, unitClass, valueText } from './check';

export interface RuleLayerState {
  version: 1;
  /** Every enforced rule; sampled rows are checked against all of them. */
  rules: Rule[];
  /** Columns learned as offsets from the latest of their parents, in the order they are restored. */
  offsets: OrderedColumn[];
  /**
   * Number columns kept after their parents by exchanging values between sampled rows, parents
   * first (absent in model files written before exchanges).
   */
  exchanges?: OrderedColumn[];
  /** Computed columns, in the order they are derived (index into `rules`). */
  derived: number[];
  /**
   * Determines rules applied, in order, each with its pairs (value of from → value of to, null =
   * missing); `fromModel`: read off the DP generator's own rows; `undrawn`: values of `from` it
   * names that the DP generator never drew (see withUndrawnSources).
   */
  mappings: { rule: number; pairs: [string, string | null][]; fromModel?: boolean; undrawn?: string[] }[];
  /** missingWhen rules applied (index into `rules`). */
  missingness: number[];
  /** Enforced rules kept only by checking sampled rows, in words. */
  checkedOnly: string[];
  /** Enforced rules that cannot be kept (a determines rule without pairs under DP), in words. */
  notKept: string[];
}

/** A column kept at or after the latest of its parents (`gap`: one step for a strict order). */
export interface OrderedColumn {
  column: string;
  parents: string[];
  gap: number;
  /**
   * A soft order's later date (its one parent the earlier): learned as a signed difference and
   * restored as parent + difference, not enforced.
   */
  signed?: boolean;
  /**
   * Without DP, the share of training rows that break the soft order: rows drawn before their
   * parent beyond it are mirrored after it (the tVAE drew 5.4 % of MIMIC's prescriptions ending
   * before they start, where 0.4 % of the real ones do).
   */
  brokenShare?: number;
}

/** Share of sampled rows whose determinant's majority must be clear for pairs read off a generator. */
export const PAIRS_CLEAR_SHARE = 0.9;
/** The same for a declared rule that names its values (see withPairsFrom). */
export const DECLARED_PAIRS_CLEAR_SHARE = 0.5;

export interface PlanOptions {
  /**
   * Where a determines rule without declared combinations takes its pairs: the training rows
   * (without DP), or nowhere (under DP the rule is then only checked).
   */
  mappingsFromRows: boolean;
}

/** A determines rule's pairs as the layer applies them. */
interface MappingOfColumn {
  rule: DeterminesRule;
  mapping: Map<string, string | null>;
  undrawn: Set<string>;
}

export class RuleLayer {
  private constructor(readonly state: RuleLayerState) {}

  static fromJSON(state: RuleLayerState): RuleLayer {
    return new RuleLayer(state);
  }

  toJSON(): RuleLayerState {
    return this.state;
  }

  /** Nothing to keep and nothing learned otherwise (a soft order's difference is still restored). */
  get isEmpty(): boolean {
    return this.state.rules.length === 0 && this.state.offsets.length === 0;
  }

  /** A test per kept rule for sampled rows in the output layout (false: the row breaks a rule). */
  rowTest(schema: Schema, table: Table): (row: number) => boolean {
    const tests = this.state.rules.flatMap((rule, i) => {
      if (this.state.notKept.includes(describeRule(rule))) return [];
      const mapping = this.state.mappings.find((m) => m.rule === i);
      return [ruleTest(schema, rule, table, mapping ? new Map(mapping.pairs) : undefined)];
    });
    return (row) => tests.every((test) => test(row));
  }

  /**
   * Whether a missingness rule may blank the column: no formula derives it and no determines rule
   * sets it (an offset keeps its missing cells, and inverse hands its values to rows that allow them).
   */
  blankable(column: string): boolean {
    const { rules, derived } = this.state;
    return !derived.some((i) => (rules[i] as { column: string }).column === column) && !rules.some((r) => r.kind === 'determines' && r.to === column);
  }

  /** Whether the column keeps the values the generator draws: no offset, formula or determines rule rewrites or sets it. */
  leavesAsDrawn(column: string): boolean {
    const { rules, offsets, derived } = this.state;
    return !offsets.some((o) => o.column === column) && !derived.some((i) => (rules[i] as { column: string }).column === column) && !rules.some((r) => r.kind === 'determines' && r.to === column);
  }

  /** Determines rules still without pairs (declared without combinations, under DP). */
  get pendingPairs(): number[] {
    return this.state.rules.flatMap((rule, i) => (rule.kind === 'determines' && this.state.notKept.includes(describeRule(rule)) ? [i] : []));
  }

  /**
   * The layer with the pending determines rules' pairs read off rows the generator sampled (and
   * the layer's `inverse` applied): the majority value of `to` for each value of `from`. Under DP
   * this is post-processing of the released model, so it costs nothing.
   */
  withPairsFrom(
    schema: Schema,
    sampled: ColumnData[],
    rows: number,
    /** Values of a declared rule's `from` whose measured counts do not tell one `to` from another (noisyUnclear). */
    measuredUnclear?: (rule: DeterminesRule, value: string) => boolean,
  ): RuleLayer {
    const index = new Map(schema.columns.map((c, i) => [c.name, i]));
    const mappings = this.state.mappings.slice();
    const done = new Set<string>();
    for (const i of this.pendingPairs) {
      const rule = this.state.rules[i] as DeterminesRule;
      const fromColumn = schema.columns[index.get(rule.from)!];
      const when = rule.when ? new Set(rule.when.map((v) => normaliseValue(fromColumn, v))) : undefined;
      const from = sampled[index.get(rule.from)!];
      const to = sampled[index.get(rule.to)!];
      const counts = new Map<string, Map<string | null, number>>();
      for (let r = 0; r < rows; r++) {
        const key = valueText(from, r);
        if (key === null || (when && !when.has(key))) continue;
        let inner = counts.get(key);
        if (!inner) counts.set(key, (inner = new Map()));
        const value = valueText(to, r);
        inner.set(value, (inner.get(value) ?? 0) + 1);
      }
      // Pairs a generator that did not learn the dependence would give (every value of `from`
      // with the commonest `to`) would distort the column: used only when, for rows holding 90 %
      // of the values, the majority already has more than half its value's rows. A declared rule
      // naming its values (`when`: the maternity codes fix the admission method) needs half, and
      // a value whose majority is not clear takes the one its clear values share most: a rare
      // value's majority is the model's noise (the demo's O82.0 was set to Elective and male in
      // some runs, where the real rows are all maternity and female).
      const declaredValues = rule.source === 'declared' && rule.when !== undefined;
      let total = 0;
      let clear = 0;
      const pairs: [string, string | null][] = [];
      const unclear: number[] = [];
      const clearTargets = new Map<string | null, number>();
      for (const [key, inner] of counts) {
        let best: string | null = null;
        let bestCount = 0;
        let sum = 0;
        for (const [value, count] of inner) {
          sum += count;
          if (count > bestCount) [best, bestCount] = [value, count];
        }
        total += sum;
        if (bestCount * 2 > sum) {
          clear += sum;
          clearTargets.set(best, (clearTargets.get(best) ?? 0) + sum);
        } else unclear.push(pairs.length);
        pairs.push([key, best]);
      }
      if (total === 0 || clear < (declaredValues ? DECLARED_PAIRS_CLEAR_SHARE : PAIRS_CLEAR_SHARE) * total) continue;
      if (declaredValues) {
        const shared = [...clearTargets].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
        for (const k of unclear) pairs[k] = [pairs[k][0], shared];
        // A value whose majority in the rows parts from the shared one, where its released pair
        // counts do not tell that majority from the next, takes the shared one too.
        pairs.forEach(([key, target], k) => {
          if (target !== shared && key !== null && measuredUnclear?.(rule, key)) pairs[k] = [key, shared];
        });
      }
      mappings.push({ rule: i, pairs, fromModel: true });
      done.add(describeRule(rule));
    }
    return new RuleLayer({ ...this.state, mappings, notKept: this.state.notKept.filter((text) => !done.has(text)) });
  }

  /**
   * The layer with each mapping's determinant values that rows the DP generator sampled never
   * hold (its released count was none: "Other" when nothing was left out of the release, a
   * public level under the floor). A value of the dependent column that only such values fix
   * would otherwise be erased from the file wherever the model drew it beside a bound value, and
   * the column's range with it (adult's education_num 1 beside Preschool, released as "Other"):
   * those rows take the value that fixes it instead (inverse). Post-processing of the model.
   */
  withUndrawnSources(schema: Schema, sampled: ColumnData[], rows: number): RuleLayer {
    const index = new Map(schema.columns.map((c, i) => [c.name, i]));
    const mappings = this.state.mappings.map((m) => {
      const from = sampled[index.get((this.state.rules[m.rule] as DeterminesRule).from)!];
      if (from.type !== 'categorical') return m;
      const drawn = new Set<string>();
      for (let r = 0; r < rows; r++) if (from.codes[r] >= 0) drawn.add(from.levels[from.codes[r]]);
      const undrawn = [...new Set(m.pairs.map(([source]) => source))].filter((source) => !drawn.has(source));
      return undrawn.length ? { ...m, undrawn } : m;
    });
    return new RuleLayer({ ...this.state, mappings });
  }

  /** How each enforced rule is kept, in words (for the card). */
  describe(): { rule: string; how: string }[] {
    const { rules, offsets, derived, mappings, missingness } = this.state;
    return rules.map((rule, i) => {
      let how = 'checked on every sampled row; broken rows are drawn again';
      if (this.state.notKept.includes(describeRule(rule))) how = "not kept: its pairs are not declared and the DP generator's rows do not show them clearly (declare its combinations)";
      if (derived.includes(i)) how = 'derived from its inputs, not learned';
      else if (missingness.includes(i)) how = 'missing values drawn from the parent column';
      else if (mappings.some((m) => m.rule === i && m.fromModel))
        how = "dependent column set from its determinant, with the pairs the DP generator's own rows hold (post-processing, no privacy cost)";
      else if (mappings.some((m) => m.rule === i)) how = 'dependent column set from its determinant';
      else if (rule.kind === 'order' && offsets.some((o) => o.column === rule.high && o.parents.includes(rule.low))) how = `${rule.high} learned as an offset from ${rule.low}`;
      else if (rule.kind === 'order' && exchangesOf(this.state).some((o) => o.column === rule.high && o.parents.includes(rule.low)))
        how = `${rule.high} learned as it is; a row where it comes before ${rule.low} takes the value of another row (values exchanged)`;
      return { rule: describeRule(rule), how };
    });
  }

  /** How the layer models a soft (not enforced) rule, in words; undefined when it only reports it. */
  softHow(rule: Rule): string | undefined {
    if (rule.enforce || rule.kind !== 'order') return undefined;
    const offset = this.state.offsets.find((o) => o.signed && o.column === rule.high && o.parents[0] === rule.low);
    if (!offset) return undefined;
    return `${rule.high} learned as a signed difference from ${rule.low}, not enforced` + (offset.brokenShare === undefined ? '' : `: at most as many rows break it as in the training rows (${(100 * offset.brokenShare).toPrecision(2)} %)`);
  }

  /** Plan the construction for the enforced `rules` of `schema` (and soft orders between dates), mappings from `table` when allowed. */
  static plan(schema: Schema, rules: Rule[], table: Table | undefined, options: PlanOptions): RuleLayer {
    const enforced = rules.filter((r) => r.enforce);
    const index = new Map(schema.columns.map((c, i) => [c.name, i]));
    const derived: number[] = [];
    const derivedColumns = new Set<string>();
    // Computed columns in an order where inputs come first (checkRules has refused circles).
    const pending = enforced.map((r, i) => ({ r, i })).filter(({ r }) => r.kind === 'difference' || r.kind === 'sum');
    const computed = new Set(pending.map(({ r }) => (r as { column: string }).column));
    while (pending.length) {
      const k = pending.findIndex(({ r }) => (r as { of: string[] }).of.every((o) => !computed.has(o) || derivedColumns.has(o)));
      const [{ r, i }] = pending.splice(k < 0 ? 0 : k, 1);
      derived.push(i);
      derivedColumns.add((r as { column: string }).column);
    }

    // Offsets: each later column from all its earlier columns that are learned (not computed).
    const parentsOf = new Map<string, { parents: Set<string>; strict: boolean }>();
    for (const rule of enforced) {
      if (rule.kind !== 'order' || derivedColumns.has(rule.high) || derivedColumns.has(rule.low)) continue;
      let entry = parentsOf.get(rule.high);
      if (!entry) parentsOf.set(rule.high, (entry = { parents: new Set(), strict: false }));
      entry.parents.add(rule.low);
      if (rule.strict) entry.strict = true;
    }
    const ordered: OrderedColumn[] = [];
    const placed = new Set<string>();
    // Restore order: a column after its parents; parents in a circle (a ≤ b ≤ a) lose the edge that closes it.
    const visiting = new Set<string>();
    const place = (column: string): void => {
      if (placed.has(column) || visiting.has(column)) return;
      visiting.add(column);
      const entry = parentsOf.get(column);
      const parents = entry ? [...entry.parents].filter((p) => !visiting.has(p)) : [];
      for (const p of parents) place(p);
      visiting.delete(column);
      placed.add(column);
      if (parents.length) ordered.push({ column, parents, gap: entry!.strict ? unitOf(schema.columns[index.get(column)!]) : 0 });
    };
    for (const column of parentsOf.keys()) place(column);
    // An order only binds columns of one unit class, so dates and numbers never share a chain.
    const isDate = (o: OrderedColumn): boolean => unitClass(schema.columns[index.get(o.column)!]) !== 'number';
    const offsets = ordered.filter(isDate);
    const exchanges = ordered.filter((o) => !isDate(o));
    const offsetColumns = new Set(ordered.map((o) => o.column));
    // A soft order between dates (real rows break it, a few): the later date as a signed difference
    // from the earlier, restored after every enforced offset, so neither date may be another
    // offset's parent or a rewritten column, and each later date has one such parent.
    const parents = new Set(ordered.flatMap((o) => o.parents));
    for (const rule of rules) {
      if (rule.enforce || rule.kind !== 'order' || unitClass(schema.columns[index.get(rule.high)!]) === 'number') continue;
      const taken = (column: string): boolean => derivedColumns.has(column) || offsetColumns.has(column) || parents.has(column);
      if (taken(rule.high) || taken(rule.low)) continue;
      const brokenShare = options.mappingsFromRows && rule.realShare !== undefined ? 1 - rule.realShare : undefined;
      offsets.push({ column: rule.high, parents: [rule.low], gap: 0, signed: true, ...(brokenShare !== undefined ? { brokenShare } : {}) });
      offsetColumns.add(rule.high);
      parents.add(rule.low);
    }

    const mappings: RuleLayerState['mappings'] = [];
    const checkedOnly: string[] = [];
    const notKept: string[] = [];
    const determines = enforced.map((r, i) => ({ r, i })).filter(({ r }) => r.kind === 'determines') as { r: DeterminesRule; i: number }[];
    const setBy = new Map<string, string>();
    for (const { r, i } of determines) {
      if (derivedColumns.has(r.to) || offsetColumns.has(r.to)) continue;
      // from → to after to → from adds nothing when the pairs are one to one, and is a circle otherwise.
      if (reaches(setBy, r.from, r.to)) continue;
      const from = schema.columns[index.get(r.from)!];
      const to = schema.columns[index.get(r.to)!];
      let pairs: [string, string | null][] | undefined;
      if (r.combinations) pairs = r.combinations.map(([f, t]) => [normaliseValue(from, f), normaliseValue(to, t)]);
      else if (options.mappingsFromRows && table) {
        const when = r.when ? new Set(r.when.map((v) => normaliseValue(from, v))) : undefined;
        const fromData = table.columns[index.get(r.from)!];
        pairs = [...majorityMapping(fromData, table.columns[index.get(r.to)!], table.rowCount)].filter(([key]) => !when || when.has(key));
      }
      if (!pairs) {
        notKept.push(describeRule(r));
        continue;
      }
      mappings.push({ rule: i, pairs });
      setBy.set(r.to, r.from);
    }
    const missingness = enforced.map((r, i) => ({ r, i })).filter(({ r }) => r.kind === 'missingWhen').map(({ i }) => i);

    enforced.forEach((rule, i) => {
      const covered =
        derived.includes(i) ||
        missingness.includes(i) ||
        mappings.some((m) => m.rule === i) ||
        (rule.kind === 'order' && ordered.some((o) => o.column === rule.high && o.parents.includes(rule.low)));
      if (!covered && !notKept.includes(describeRule(rule))) checkedOnly.push(describeRule(rule));
    });
    return new RuleLayer({ version: 1, rules: enforced, offsets, exchanges, derived, mappings, missingness, checkedOnly, notKept });
  }

  /**
   * The schema the generator learns: offset columns become numbers (days for dates), computed
   * columns are left out. Public bounds of an offset follow from its columns' public bounds.
   */
  learningSchema(schema: Schema, table?: Table): Schema {
    const index = new Map(schema.columns.map((c, i) => [c.name, i]));
    const derived = new Set(this.state.derived.map((i) => (this.state.rules[i] as { column: string }).column));
    const offsets = new Map(this.state.offsets.map((o) => [o.column, o]));
    const learning = table ? this.forward(schema, table) : undefined;
    return {
      ...schema,
      columns: schema.columns.map((column, i) => {
        if (derived.has(column.name)) return { ...column, exclude: true };
        const offset = offsets.get(column.name);
        if (!offset) return column;
        const { dateFormat: _f, public: declared, min: _min, max: _max, ...rest } = column;
        const later = declared?.bounds ? publicBounds(column) : undefined;
        const earlier = offset.parents.map((p) => publicBounds(schema.columns[index.get(p)!]));
        const offsetBounds =
          later && earlier.every((b) => b !== undefined)
            ? {
                min: offset.signed ? later.min - Math.max(...earlier.map((b) => b!.max)) : 0,
                max: Math.max(0, later.max - Math.min(...earlier.map((b) => b!.min)) - offset.gap),
              }
            : undefined;
        const values = learning?.columns[i];
        const range = values?.type === 'numeric' ? finiteRange(values.values) : undefined;
        return {
          ...rest,
          kind: column.kind === 'continuous' ? 'continuous' : 'integer',
          number: { decimals: column.kind === 'continuous' ? (column.number?.decimals ?? 0) : 0, fixed: false },
          ...(range ? { min: range[0], max: range[1] } : {}),
          ...(offsetBounds ? { public: { bounds: offsetBounds } } : {}),
        } satisfies ColumnSchema;
      }),
    };
  }

  /** The rows as the generator learns them (see learningSchema). */
  forward(schema: Schema, table: Table): Table {
    const index = new Map(schema.columns.map((c, i) => [c.name, i]));
    const columns = table.columns.slice();
    for (const i of this.state.derived) columns[index.get((this.state.rules[i] as { column: string }).column)!] = { type: 'none' };
    for (const { column, parents, gap } of this.state.offsets) {
      const high = numbers(table.columns[index.get(column)!]);
      const lows = parents.map((p) => numbers(table.columns[index.get(p)!]));
      const out = new Float64Array(table.rowCount);
      for (let r = 0; r < table.rowCount; r++) {
        const base = latest(lows, r);
        out[r] = Number.isNaN(high[r]) || base === -Infinity ? NaN : high[r] - base - gap;
      }
      columns[index.get(column)!] = { type: 'numeric', values: out };
    }
    return { ...table, columns };
  }

  /** Sampled columns (in the learning layout) back to rows that keep the rules, in place. */
  inverse(schema: Schema, columns: ColumnData[], rows: number): void {
    const index = new Map(schema.columns.map((c, i) => [c.name, i]));
    const at = (name: string): number => index.get(name)!;
    // Rules are kept on the values as written (whole days, the column's decimals), not on the
    // model's unrounded numbers: a stay of 4.6 days would otherwise print as 5 beside dates 4 apart.
    for (const name of new Set(this.state.rules.flatMap(ruleColumns))) {
      const data = columns[at(name)];
      if (data.type === 'numeric') columns[at(name)] = { type: 'numeric', values: data.values.map((x) => asWritten(schema.columns[at(name)], x)) };
    }
    this.blankOrderedKeepingShares(schema, columns, rows);
    for (const { column, parents, gap, signed, brokenShare } of this.state.offsets) {
      const offset = numbers(columns[at(column)]);
      // Rows may come before their parent as often as the training rows did, the first drawn
      // (rows are drawn independently, so these are a random few): the others are mirrored.
      let before = brokenShare === undefined ? Infinity : Math.round(brokenShare * rows);
      const written = schema.columns[at(column)];
      const lows = parents.map((p) => numbers(columns[at(p)]));
      // A declared bound holds of the column as written: an offset drawn from its own tail would
      // put a late admission's discharge past it (15-40 rows of 1,600 on a test file).
      const bounds = publicBounds(written);
      const out = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        const base = latest(lows, r);
        if (Number.isNaN(offset[r]) || base === -Infinity) {
          out[r] = NaN;
          continue;
        }
        if (signed) {
          const value = base + (offset[r] < 0 && before-- <= 0 ? -offset[r] : offset[r]);
          out[r] = asWritten(written, bounds ? reflectInto(value, bounds.min, bounds.max) : value);
          continue;
        }
        const earliest = base + gap;
        const value = earliest + Math.max(0, offset[r]);
        // The order comes first where the bounds leave no room for it.
        out[r] = asWritten(written, bounds ? reflectInto(value, Math.max(earliest, bounds.min), Math.max(earliest, bounds.max)) : value);
      }
      columns[at(column)] = { type: 'numeric', values: out };
    }
    for (const ordered of exchangesOf(this.state)) {
      const index = at(ordered.column);
      columns[index] = { type: 'numeric', values: exchangeIntoOrder(schema.columns[index], ordered, numbers(columns[index]), ordered.parents.map((p) => numbers(columns[at(p)])), rows) };
    }
    // Each dependent column once, after the columns that determine it: a determinant set later
    // would no longer match the value it fixed.
    const groups = this.mappingsByColumn();
    const setColumns = new Set(groups.map((group) => group[0].rule.to));
    for (const group of groups) {
      const toIndex = at(group[0].rule.to);
      for (const { rule, mapping, undrawn } of group) {
        if (undrawn.size && !setColumns.has(rule.from)) columns[at(rule.from)] = withSourcelessTargets(columns[at(rule.from)], columns[toIndex], mapping, undrawn, rows);
      }
      const froms = group.map(({ rule, mapping }) => ({ data: columns[at(rule.from)], mapping }));
      columns[toIndex] = setKeepingShares(columns[toIndex], rows, (row) => {
        let value: string | null | undefined;
        for (const { data, mapping } of froms) {
          const key = valueText(data, row);
          if (key !== null && mapping.has(key)) value = mapping.get(key)!;
        }
        return value;
      });
    }
    this.blankMissing(schema, columns, rows);
    for (const i of this.state.derived) {
      const rule = this.state.rules[i] as { kind: 'difference' | 'sum'; column: string; of: [string, string] };
      const a = numbers(columns[at(rule.of[0])]);
      const b = numbers(columns[at(rule.of[1])]);
      const decimals = schema.columns[at(rule.column)].number?.decimals ?? 0;
      const scale = Math.pow(10, decimals);
      const out = new Float64Array(rows);
      const sign = rule.kind === 'sum' ? 1 : -1;
      for (let r = 0; r < rows; r++) out[r] = Math.round((a[r] + sign * b[r]) * scale) / scale;
      if (schema.columns[at(rule.column)].kind === 'integer') for (let r = 0; r < rows; r++) out[r] = Math.round(out[r]);
      columns[at(rule.column)] = { type: 'numeric', values: out };
    }
    this.blankMissing(schema, columns, rows);
  }

  /** The mappings grouped by dependent column, each group after the groups that set its determinants. */
  private mappingsByColumn(): MappingOfColumn[][] {
    const groups = new Map<string, MappingOfColumn[]>();
    for (const { rule, pairs, undrawn } of this.state.mappings) {
      const r = this.state.rules[rule] as DeterminesRule;
      let group = groups.get(r.to);
      if (!group) groups.set(r.to, (group = []));
      group.push({ rule: r, mapping: new Map(pairs), undrawn: new Set(undrawn) });
    }
    const ordered: MappingOfColumn[][] = [];
    const pending = [...groups.keys()];
    while (pending.length) {
      // plan() leaves no circle of mappings; should one remain, the first pending goes first.
      const k = Math.max(0, pending.findIndex((to) => groups.get(to)!.every(({ rule }) => rule.from === to || !pending.includes(rule.from))));
      ordered.push(groups.get(pending.splice(k, 1)[0])!);
    }
    return ordered;
  }

  /**
   * Missingness of a column an order binds (an offset, or a number kept in order by exchanges),
   * settled before the order is restored, each blanked value handed to a row whose parent allows
   * it and that drew none: blanked afterwards, values cannot move (the order could break) and the
   * column loses present cells. rhc's death dates, drawn apart by the marginals generator and
   * blanked for survivors after, were present in 42 % of rows for the real 65 %. Only where the
   * parent is drawn, not set or derived later, and no formula binds the column.
   */
  private blankOrderedKeepingShares(schema: Schema, columns: ColumnData[], rows: number): void {
    const index = new Map(schema.columns.map((c, i) => [c.name, i]));
    const ordered = new Set([...this.state.offsets, ...exchangesOf(this.state)].map((o) => o.column));
    const rewritten = new Set([...ordered, ...this.state.mappings.map((m) => (this.state.rules[m.rule] as DeterminesRule).to), ...this.state.derived.map((i) => (this.state.rules[i] as { column: string }).column)]);
    for (const i of this.state.missingness) {
      const rule = this.state.rules[i] as MissingWhenRule;
      if (!ordered.has(rule.column) || rewritten.has(rule.parent)) continue;
      if (this.state.rules.some((other) => other.kind !== 'missingWhen' && other.kind !== 'order' && ruleColumns(other).includes(rule.column))) continue;
      columns[index.get(rule.column)!] = blankedByParent(rule, schema, columns, index, rows, true);
    }
  }

  private blankMissing(schema: Schema, columns: ColumnData[], rows: number): void {
    const index = new Map(schema.columns.map((c, i) => [c.name, i]));
    // A parent before the columns it blanks: a parent given a value later could leave a value
    // beside a parent that does not allow it.
    const pending = this.state.missingness.map((i) => this.state.rules[i] as MissingWhenRule);
    const ordered: MissingWhenRule[] = [];
    while (pending.length) {
      const k = Math.max(0, pending.findIndex((rule) => !pending.some((other) => other !== rule && other.column === rule.parent)));
      ordered.push(pending.splice(k, 1)[0]);
    }
    const blank = (rule: MissingWhenRule, keepShares: boolean): boolean => {
      const target = index.get(rule.column)!;
      const before = columns[target];
      columns[target] = blankedByParent(rule, schema, columns, index, rows, keepShares);
      return columns[target] !== before;
    };
    // A value handed to a row whose parent allows it could break another rule on the column
    // (an order, a formula): shares are kept only for columns no other rule binds.
    for (const rule of ordered) blank(rule, !this.state.rules.some((other) => other.kind !== 'missingWhen' && ruleColumns(other).includes(rule.column)));
    // Columns missing together (a ring of rules, privacy/rule-confirmation.ts) or blanked by two
    // parents are settled by repeating, values no longer handed on: each pass only blanks, so
    // this ends within one pass per rule.
    for (let pass = 0; pass < ordered.length; pass++) {
      let changed = false;
      for (const rule of ordered) changed = blank(rule, false) || changed;
      if (!changed) break;
    }
  }

  /**
   * The output schema: the learned schema (structure only under DP) with the original definition
   * of each column the layer rewrote.
   */
  outputSchema(learned: Schema, original: Schema): Schema {
    const touched = new Set([...this.state.offsets.map((o) => o.column), ...this.state.derived.map((i) => (this.state.rules[i] as { column: string }).column)]);
    return {
      ...learned,
      columns: learned.columns.map((column, i) => {
        if (!touched.has(column.name)) return column;
        const source = original.columns[i];
        if (column.min === undefined) {
          // Private model: the learned column's structure (formats from the release or neutral),
          // with the kind and date format the column is written in.
          const { dateFormat: _f, exclude: _e, ...structure } = column;
          return {
            ...structure,
            kind: source.kind,
            ...(source.dateFormat ? { dateFormat: source.dateFormat } : {}),
            ...(source.exclude ? { exclude: true } : {}),
            // Declared facts hold of the column as written (an observed range is reached in it).
            ...(source.public ? { public: source.public } : {}),
            ...(source.kind === 'date' || source.kind === 'datetime' ? { number: undefined } : {}),
          };
        }
        return {
          ...source,
          missingCount: column.missingCount,
          missingRate: column.missingRate,
          distinctCount: column.distinctCount,
          distinctExact: column.distinctExact,
        };
      }),
    };
  }
}

/**
 * A missingWhen rule's column blanked wherever its parent's value does not allow it; with
 * `keepShares`, each blanked value handed to a row the rule leaves free that drew none.
 */
function blankedByParent(rule: MissingWhenRule, schema: Schema, columns: ColumnData[], index: Map<string, number>, rows: number, keepShares: boolean): ColumnData {
  const allowed = allowedParentValues(rule, schema.columns[index.get(rule.parent)!]);
  const parent = columns[index.get(rule.parent)!];
  return setKeepingShares(columns[index.get(rule.column)!], rows, (row) => {
    const value = valueText(parent, row);
    return value !== null && (!allowed || allowed.has(value)) ? undefined : null;
  }, keepShares);
}

/** The layer's number columns kept in order by exchanges (none in older model files). */
function exchangesOf(state: RuleLayerState): OrderedColumn[] {
  return state.exchanges ?? [];
}

/**
 * `values` (one column of sampled rows) with every row at or after the latest of its parents
 * plus `gap`, keeping the column's values: rows are served from the highest bound down, each
 * keeping its own value when it can and otherwise taking the free value nearest to its own (a
 * value that broke the order: nearest to it reflected above the bound). Serving the highest
 * bounds first, any value a row may take suits every row after it, so a row is set to its bound
 * (the only change to the values) only when no value left is high enough.
 */
function exchangeIntoOrder(written: ColumnSchema, { gap }: OrderedColumn, values: Float64Array, parents: Float64Array[], rows: number): Float64Array {
  const out = values.slice();
  const bound = new Float64Array(rows);
  const present: number[] = [];
  let broken = 0;
  for (let r = 0; r < rows; r++) {
    bound[r] = latest(parents, r) + gap;
    if (Number.isNaN(values[r])) continue;
    present.push(r);
    if (values[r] < bound[r]) broken++;
  }
  if (!broken) return out;
  const bySize = present.slice().sort((p, q) => values[p] - values[q]);
  const sorted = Float64Array.from(bySize, (r) => values[r]);
  const slot = new Int32Array(rows);
  bySize.forEach((r, i) => (slot[r] = i));
  const free = new FreeSlots(sorted.length);
  const byBound = present.sort((p, q) => (bound[p] < bound[q] ? 1 : bound[p] > bound[q] ? -1 : 0));
  for (const r of byBound) {
    const need = bound[r];
    const mine = values[r];
    if (mine >= need && free.has(slot[r])) {
      free.take(slot[r]);
      continue;
    }
    const target = mine >= need ? mine : 2 * need - mine;
    const at = lowerBound(sorted, target);
    const above = free.next(at);
    const below = free.previous(at - 1);
    const upOk = above < sorted.length;
    const downOk = below >= 0 && sorted[below] >= need;
    if (!upOk && !downOk) {
      out[r] = asWritten(written, need);
      continue;
    }
    const pick = upOk && (!downOk || sorted[above] - target <= target - sorted[below]) ? above : below;
    free.take(pick);
    out[r] = sorted[pick];
  }
  return out;
}

/** Slots 0..n-1 taken one by one, with the nearest free slot at or after / at or before an index. */
class FreeSlots {
  private readonly after: Int32Array;
  private readonly before: Int32Array;
  constructor(readonly size: number) {
    this.after = Int32Array.from({ length: size + 1 }, (_, i) => i);
    // Shifted by one: before[i + 1] answers for slot i, before[0] is "none".
    this.before = Int32Array.from({ length: size + 1 }, (_, i) => i);
  }
  has(i: number): boolean {
    return this.next(i) === i;
  }
  take(i: number): void {
    this.after[i] = i + 1;
    this.before[i + 1] = i;
  }
  /** The first free slot ≥ i (size when none). */
  next(i: number): number {
    return find(this.after, Math.max(0, i));
  }
  /** The last free slot ≤ i (-1 when none). */
  previous(i: number): number {
    return i < 0 ? -1 : find(this.before, Math.min(i, this.size - 1) + 1) - 1;
  }
}

/** Root of `i` in a union-find array, compressing the path. */
function find(parent: Int32Array, i: number): number {
  let root = i;
  while (parent[root] !== root) root = parent[root];
  while (parent[i] !== root) [parent[i], i] = [root, parent[i]];
  return root;
}

function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Rows holding a value of the dependent column that only undrawn determinant values fix (see
 * withUndrawnSources), beside a bound determinant value, take the value that fixes it; rows
 * whose determinant the rule leaves free keep theirs. Every row keeps the rule either way.
 */
function withSourcelessTargets(from: ColumnData, to: ColumnData, mapping: Map<string, string | null>, undrawn: Set<string>, rows: number): ColumnData {
  const sources = new Map<string | null, string[]>();
  for (const [source, target] of mapping) {
    const list = sources.get(target);
    if (list) list.push(source);
    else sources.set(target, [source]);
  }
  const sourceOf = new Map<string, string>();
  for (const [target, list] of sources) if (target !== null && list.every((v) => undrawn.has(v))) sourceOf.set(target, list[0]);
  if (!sourceOf.size) return from;
  return setValues(from, rows, (row) => {
    const value = valueText(to, row);
    const source = value === null ? undefined : sourceOf.get(value);
    const determinant = valueText(from, row);
    return source === undefined || determinant === null || !mapping.has(determinant) ? undefined : { value: source };
  });
}

/**
 * A copy of a column with the rows `forced` binds set to its value (null: missing; undefined:
 * the row is free). Each value overwritten is handed to a free row that held the value set, the
 * first such row in sampling order (sampled rows come in random order), so the column keeps its
 * distribution; with `keepShares` false, values are only overwritten.
 */
function setKeepingShares(data: ColumnData, rows: number, forced: (row: number) => string | null | undefined, keepShares = true): ColumnData {
  const key = (value: string | null): string => value ?? '\u0000';
  const freeByValue = new Map<string, number[]>();
  const changes: { row: number; was: string | null; set: string | null }[] = [];
  for (let r = 0; r < rows; r++) {
    const set = forced(r);
    const was = valueText(data, r);
    if (set === undefined) {
      if (!keepShares) continue;
      let list = freeByValue.get(key(was));
      if (!list) freeByValue.set(key(was), (list = []));
      list.push(r);
    } else if (set !== was) changes.push({ row: r, was, set });
  }
  if (!changes.length) return data;
  const replaced = new Map<number, string | null>();
  const taken = new Map<string, number>();
  for (const { row, was, set } of changes) {
    replaced.set(row, set);
    const list = freeByValue.get(key(set));
    const next = taken.get(key(set)) ?? 0;
    if (!list || next >= list.length) continue;
    taken.set(key(set), next + 1);
    replaced.set(list[next], was);
  }
  return setValues(data, rows, (row) => (replaced.has(row) ? { value: replaced.get(row)! } : undefined));
}

/** A value as the writer will print it: whole days, seconds and integers; a point mass exactly; a number at its decimals. */
function asWritten(column: ColumnSchema, x: number): number {
  if (Number.isNaN(x)) return x;
  if (column.kind === 'date' || column.kind === 'datetime' || column.kind === 'integer') return Math.round(x);
  if (column.number?.exponent || column.number?.points?.includes(x)) return x;
  const scale = Math.pow(10, column.number?.decimals ?? 6);
  return Math.round(x * scale) / scale;
}

/** One step of a column: a day for dates, a second for date-times, the last written decimal otherwise. */
function unitOf(column: ColumnSchema): number {
  if (column.kind === 'date' || column.kind === 'datetime' || column.kind === 'integer') return 1;
  return Math.pow(10, -(column.number?.decimals ?? 0));
}

function finiteRange(values: Float64Array): [number, number] | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const x of values) {
    if (Number.isNaN(x)) continue;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return min <= max ? [min, max] : undefined;
}

/** Latest present value among the columns in a row; -Infinity when all are missing. */
function latest(columns: Float64Array[], row: number): number {
  let best = -Infinity;
  for (const c of columns) {
    const x = c[row];
    if (!Number.isNaN(x) && x > best) best = x;
  }
  return best;
}

function numbers(data: ColumnData): Float64Array {
  if (data.type !== 'numeric') throw new Error('rule layer: expected a numeric column');
  return data.values;
}

/** Whether following `setBy` (column → its determinant) from `start` arrives at `target`. */
function reaches(setBy: Map<string, string>, start: string, target: string): boolean {
  for (let at: string | undefined = start, steps = 0; at !== undefined && steps <= setBy.size; at = setBy.get(at), steps++) {
    if (at === target) return true;
  }
  return false;
}

/** A copy of a column with some rows' values replaced (null: missing); categories are added as needed. */
function setValues(data: ColumnData, rows: number, replace: (row: number) => { value: string | null } | undefined): ColumnData {
  if (data.type === 'numeric') {
    const values = data.values.slice();
    for (let r = 0; r < rows; r++) {
      const change = replace(r);
      if (change) values[r] = change.value === null ? NaN : Number(change.value);
    }
    return { type: 'numeric', values };
  }
  if (data.type === 'categorical') {
    const levels = data.levels.slice();
    const codeOf = new Map(levels.map((l, i) => [l, i]));
    const codes = data.codes.slice();
    for (let r = 0; r < rows; r++) {
      const change = replace(r);
      if (!change) continue;
      if (change.value === null) {
        codes[r] = -1;
        continue;
      }
      let code = codeOf.get(change.value);
      if (code === undefined) {
        codeOf.set(change.value, (code = levels.length));
        levels.push(change.value);
      }
      codes[r] = code;
    }
    return { type: 'categorical', codes, levels };
  }
  return data;
}

/**
 * `value` folded into [lo, hi] by reflection at the ends: past a bound by d, it lies d inside it.
 * Clamping would pile every overshooting row on the bound; reflection keeps them spread as drawn.
 */
export function reflectInto(value: number, lo: number, hi: number): number {
  if (value >= lo && value <= hi) return value;
  const span = hi - lo;
  if (!(span > 0)) return lo;
  const past = value > hi ? value - hi : lo - value;
  const folded = past % (2 * span);
  const inside = folded <= span ? folded : 2 * span - folded;
  return value > hi ? hi - inside : lo + inside;
}
