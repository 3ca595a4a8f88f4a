/** Directory scripts/dataset. */
export declare const DATASET_DIR: string;
/** The .html pages of scripts/dataset/<kind>/ (real, thirdparty), sorted by name: page index = seed. */
export declare function pageFiles(kind: 'real' | 'thirdparty'): string[];
