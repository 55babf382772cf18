import { Random } from '../random';
import type { Schema } from '../schema/types';
import type { ColumnData, Table } from '../table';
import type { TableTransformer } from '../transform/transformer';
import type { ChunkSource } from '../model/parallel';
import type { ColumnHistogram } from './preprocess';

/**
 * The low-fidelity generator (the UCLH approach): every column drawn independently from its
 * differentially private histogram. It never looks at the data again, so its privacy cost is the
 * histograms' alone; it keeps each column's distribution and, by design, no relationships between
 * columns. Rows come out encoded, so identifiers, formats and the report work as for the tVAE.
 */
export class MarginalsSource implements ChunkSource {
  constructor(
    private readonly schema: Schema,
    private readonly histograms: (ColumnHistogram | undefined)[],
    private readonly transformer: TableTransformer,
  ) {
    schema.columns.forEach((column, i) => {
      if (transformer.state.columns.some((c) => c.column === i) && !histograms[i]) {
        throw new Error(`column ${column.name}: the marginals generator needs its released histogram`);
      }
    });
  }

  async sample(rows: number, seed: number): Promise<Float32Array> {
    const random = new Random(seed);
    const columns: ColumnData[] = this.schema.columns.map((_, i) => {
      const h = this.histograms[i];
      if (!h) return { type: 'none' };
      if (h.type === 'categorical') {
        const weights = [...h.counts, h.missing];
        const codes = new Int32Array(rows);
        for (let r = 0; r < rows; r++) {
          const k = random.categorical(weights);
          codes[r] = k === h.levels.length ? -1 : k;
        }
        return { type: 'categorical', codes, levels: h.levels };
      }
      const weights = [...h.counts, h.zero, h.missing];
      const bins = h.counts.length;
      const values = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        const k = random.categorical(weights);
        if (k === bins + 1) values[r] = NaN;
        else if (k === bins) values[r] = 0;
        else values[r] = h.integerBins ? h.edges[k] : h.edges[k] + random.next() * (h.edges[k + 1] - h.edges[k]);
      }
      return { type: 'numeric', values };
    });
    const table: Table = { rowCount: rows, columns, rowIndex: new Int32Array(0) };
    return Float32Array.from(this.transformer.encode(table, { component: 'argmax' }));
  }

  async close(): Promise<void> {}
}
