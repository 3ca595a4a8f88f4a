/**
 * Provenance of a model (issue 20 §2; DESIGN.md "Roles and rotation"): an in-toto Statement v1 whose
 * predicate is SLSA Provenance v1, signed by the `models` role in a DSSE envelope and published retained
 * beside the manifest on `{prefix}/models/{modelId}/provenance`. It says where the model came from: the
 * training recipe and its commit, the dataset manifest's hash, the parent model, and the evaluation
 * figures with the set they were measured on (read by the channel quality gate, §4).
 * Specs: in-toto/attestation spec/v1/statement.md; slsa.dev/spec/v1.0/provenance.
 */
import { z } from 'zod';

/** the DSSE payloadType of in-toto statements (in-toto attestation spec, envelope.md) */
export const PAYLOAD_TYPE_INTOTO = 'application/vnd.in-toto+json';
export const INTOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** our buildType: a training run of an RPA Edge model recipe */
export const TRAINING_BUILD_TYPE = 'https://github.com/rpa-edge-agent/buildtypes/training/v1';
export const MAX_PROVENANCE_BYTES = 256 * 1024;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const IsoDate = z.string().datetime({ offset: true });

const ResourceDescriptorSchema = z.object({
  name: z.string().max(512).optional(),
  uri: z.string().max(2048).optional(),
  digest: z.record(z.string().max(32), z.string().max(128)).optional(),
  annotations: z.record(z.string(), z.unknown()).optional(),
});

/** evaluation figures: metric name (e.g. "detector.ap50", "classifier.top1") → value, on a named set */
export const EvaluationSchema = z.object({
  set: z.object({ name: z.string().min(1).max(256), sha256: Sha256.optional() }),
  metrics: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), z.number().finite()),
});
export type Evaluation = z.infer<typeof EvaluationSchema>;

export const TrainingParametersSchema = z.object({
  recipe: z.string().min(1).max(512),
  /** git commit of the repository the recipe ran from */
  commit: z.string().regex(/^[0-9a-f]{7,64}$/),
  dataset: z.object({ manifest: z.string().max(512), sha256: Sha256 }),
  parent: z.object({ name: z.string().max(128), version: z.string().max(64), sha256: Sha256 }).optional(),
  evaluation: EvaluationSchema.optional(),
});
export type TrainingParameters = z.infer<typeof TrainingParametersSchema>;

export const ProvenanceStatementSchema = z.object({
  _type: z.literal(INTOTO_STATEMENT_V1),
  subject: z.array(z.object({ name: z.string().max(256), digest: z.object({ sha256: Sha256 }) })).min(1).max(16),
  predicateType: z.literal(SLSA_PROVENANCE_V1),
  predicate: z.object({
    buildDefinition: z.object({
      buildType: z.string().max(512),
      externalParameters: TrainingParametersSchema,
      internalParameters: z.record(z.string(), z.unknown()).optional(),
      resolvedDependencies: z.array(ResourceDescriptorSchema).max(64).optional(),
    }),
    runDetails: z.object({
      builder: z.object({ id: z.string().max(512) }),
      metadata: z.object({ invocationId: z.string().max(256).optional(), startedOn: IsoDate.optional(), finishedOn: IsoDate.optional() }).optional(),
      byproducts: z.array(ResourceDescriptorSchema).max(64).optional(),
    }),
  }),
});
export type ProvenanceStatement = z.infer<typeof ProvenanceStatementSchema>;

export interface ProvenanceInput extends TrainingParameters {
  model: { name: string; version: string; sha256: string };
  builderId: string;
  startedOn?: string;
  finishedOn?: string;
}

/** Builds the statement (pure; the emitting script supplies the hashes and the commit). */
export function buildProvenance(i: ProvenanceInput): ProvenanceStatement {
  const { model, builderId, startedOn, finishedOn, ...params } = i;
  const deps = [
    { uri: `git+${params.recipe}@${params.commit}`, digest: { gitCommit: params.commit } },
    { name: params.dataset.manifest, digest: { sha256: params.dataset.sha256 } },
    ...(params.parent ? [{ name: `${params.parent.name}@${params.parent.version}`, digest: { sha256: params.parent.sha256 } }] : []),
  ];
  return ProvenanceStatementSchema.parse({
    _type: INTOTO_STATEMENT_V1,
    subject: [{ name: `${model.name}@${model.version}`, digest: { sha256: model.sha256 } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: { buildType: TRAINING_BUILD_TYPE, externalParameters: params, resolvedDependencies: deps },
      runDetails: { builder: { id: builderId }, ...(startedOn || finishedOn ? { metadata: { ...(startedOn ? { startedOn } : {}), ...(finishedOn ? { finishedOn } : {}) } } : {}) },
    },
  });
}
