/** scripts/dataset/apps/wine.json */
export declare const APPS_FILE: string;
/** Issue 15's split: app ids ordered by hex sha256 ascending, the first ceil(0.3 n) held out. */
export declare function splitByApp(appIds: string[]): Map<string, 'train' | 'heldout'>;
/** The apps list written to APPS_FILE, from scenarios.json (addedAfterSplit: an app added after the split, always train;
 * fresh: an app of the fresh held-out set, always 'fresh'; splitBatch: an app of a later batch, split by the rule among
 * its batch). */
export declare function appsList(): { app: string; toolkit: string; description: string; split: 'train' | 'heldout' | 'fresh'; addedAfterSplit?: string; fresh?: string; splitBatch?: string }[];
