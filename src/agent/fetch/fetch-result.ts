/** What one run of a model fetch reports (chunk-fetch.ts; the agent puts it in model_verified). */
export interface ChunkFetchResult {
  /** chunks already on disk when this fetch (re)started */
  resumedFrom: number;
  /** chunk messages that arrived during this run (including duplicates) */
  received: number;
  /** chunks written during this run */
  written: number;
  /** how the chunks were asked for at the start */
  mode: 'origin' | 'wildcard' | 'window';
  /** chunks that came from an HTTPS origin */
  fromOrigin: number;
  /** the broker's chunks were used after the origins failed */
  fellBack: boolean;
  /** chunks read back from disk for the whole-file hash (0 on an in-order fresh download) */
  hashReadBack: number;
}
