/**
 * Encoded rows chunk by chunk: what every generator hands the sampler. Chunk k is drawn with its
 * own seed (derived from the run's seed and k), so the output does not depend on where chunks are
 * sampled. It sits below model/, privacy/ and pgm/ so that each generator can implement it
 * without importing another.
 */
export interface ChunkSource {
  sample(rows: number, seed: number): Promise<Float32Array>;
  close(): Promise<void>;
}
