export declare const HELDOUT_SHARE: number;
export declare function appHash(app: string): string;
export declare function splitByAppHash(apps: string[]): Map<string, 'train' | 'heldout'>;
export declare const MIN_HELDOUT_SHARE: number;
export declare function splitOfList(entries: readonly { app: string; addedAfterSplit?: string; fresh?: string; splitBatch?: unknown }[]): Map<string, 'train' | 'heldout' | 'fresh'>;
