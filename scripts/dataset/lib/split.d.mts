export declare const HELDOUT_SHARE: number;
export declare function appHash(app: string): string;
export declare function splitByAppHash(apps: string[]): Map<string, 'train' | 'heldout'>;
