/**
 * The industry profile's thresholds on the vision calls (issue 21 §2, common/profiles.ts), applied around the
 * pipeline by the composition root (service.ts) so the pipeline itself stays profile-free:
 * - detector: the profile's minScore is the threshold of a call that names none; a bot's own explicit
 *   minScore wins (the manifest's threshold applies when neither is set);
 * - classifier: an element whose classifier top-1 probability is below the profile's minScore is not returned
 *   (elements that were not classified, with no typeScore, are kept).
 */
import { detectorMinScore, type ProfileSettings } from '../common/profiles.js';
import type { DetectResponse, FindCandidate } from './vision/pipeline.js';

export function withProfileDetector<T extends { minScore?: number }>(req: T, profile: ProfileSettings | undefined): T {
  const minScore = detectorMinScore(req.minScore, profile);
  return minScore === undefined ? req : { ...req, minScore };
}

const classifierKeeps = (typeScore: number | undefined, min: number | undefined) => min === undefined || typeScore === undefined || typeScore >= min;

export function withProfileClassifier(r: DetectResponse, profile: ProfileSettings | undefined): DetectResponse {
  const min = profile?.classifier?.minScore;
  if (min === undefined) return r;
  const elements = r.elements.filter((e) => classifierKeeps(e.typeScore, min)).map((e, index) => ({ ...e, index }));
  return { ...r, elements };
}

export function withProfileClassifierFind(r: { candidates: FindCandidate[]; detect: DetectResponse }, profile: ProfileSettings | undefined): { candidates: FindCandidate[]; detect: DetectResponse } {
  const min = profile?.classifier?.minScore;
  if (min === undefined) return r;
  return { candidates: r.candidates.filter((c) => classifierKeeps(c.element.typeScore, min)), detect: withProfileClassifier(r.detect, profile) };
}
