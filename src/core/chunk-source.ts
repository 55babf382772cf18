/**
 * Rows x transformer width, row-major. A network's rows are float32 (its own precision); rows
 * drawn from released histograms (pgm, marginals) stay float64, the transformer's own encoding,
 * so that encode-then-decode gives back exactly the values drawn: a float32 copy moved a point
 * mass such as bilirubin 1.00976562 to 1.00976564, and whole seconds of a date-time by tens.
 */
export type EncodedRows = Float32Array | Float64Array;

/**
 * Encoded rows chunk by chunk: what every generator hands the sampler. Chunk k is drawn with its
 * own seed (derived from the run's seed and k), so the output does not depend on where chunks are
 * sampled. It sits below model/, privacy/ and pgm/ so that each generator can implement it
 * without importing another.
 */
export interface ChunkSource {
  sample(rows: number, seed: number): Promise<EncodedRows>;
  close(): Promise<void>;
}

/**
 * Most bytes of encoded rows (float64) held at once, however wide the file: a 500-column file
 * encodes to some 3,400 values a row, so 20,000 rows in one matrix took 540 MB.
 */
export const MAX_ENCODED_BYTES = 64 * 2 ** 20;

/**
 * Rows per encoded chunk: `most`, fewer when `inFlight` chunks of that many rows of `width`
 * values would pass MAX_ENCODED_BYTES. Narrow files keep `most` (so draw the same rows).
 */
export function encodedChunkRows(width: number, most: number, inFlight = 1): number {
  return Math.max(1, Math.min(most, Math.floor(MAX_ENCODED_BYTES / (8 * Math.max(width, 1) * inFlight))));
}
