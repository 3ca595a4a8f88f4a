/**
 * Defence in depth (issue 20 §3): the agent runs the same graph scan as `rpa-fleet model publish`
 * (src/common/graph-scan.ts) on the verified bytes before they reach any onnxruntime session, whatever
 * the activator (the in-process one, the inference host). A refusal is an activation failure with the
 * scan's reason code; the active model keeps serving.
 */
import { DEFAULT_SCAN_LIMITS, scanOnnx, type GraphScanLimits } from '../../common/graph-scan.js';
import type { ModelActivator } from '../activation.js';

export function withGraphScan(inner: ModelActivator, limits: GraphScanLimits = DEFAULT_SCAN_LIMITS): ModelActivator {
  const gated: ModelActivator = {
    async activate(req) {
      scanOnnx(req.bytes, limits); // throws graph_* before a session ever sees the bytes
      return inner.activate(req);
    },
    deactivate: (role) => inner.deactivate(role),
    close: () => inner.close(),
  };
  if (inner.on) gated.on = (listener) => inner.on!(listener);
  // the candidate guard sees the runs through this: a gate that dropped it would leave every candidate unguarded
  if (inner.addObserver) gated.addObserver = (observer) => inner.addObserver!(observer);
  return gated;
}
