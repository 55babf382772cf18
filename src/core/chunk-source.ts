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
