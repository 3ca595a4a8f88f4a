export interface EvalReport {
  models?: Record<string, { sha256?: string } | undefined>;
  results?: readonly { name?: string; detector?: { mAP50: number }; classifier?: { top1: number } }[];
  real?: { families?: readonly { family: string; pooled?: Record<string, unknown> }[] };
}
export declare function roleMetrics(report: EvalReport, role: string): { metrics: Record<string, number> };
export declare function mismatchedRoles(report: EvalReport, candidateDir: string, roles: readonly string[]): string[];
