/**
 * The graph scan (issue 20 §3): checks run on an ONNX model before it is signed (`rpa-fleet model
 * publish`) and again on the agent before the bytes reach an onnxruntime session (defence in depth:
 * probes showed onnxruntime alone read a relative external-data path in one setting). Pure; each
 * refusal has its own reason code:
 *   graph_external_data   a tensor refers to data outside the file (external_data / data_location)
 *   graph_custom_domain   an op or opset from a domain other than the standard ONNX one
 *   graph_op_not_allowed  an op outside the allow-list
 *   graph_opset_range     the standard opset is outside [min, max]
 *   graph_initializer_too_large  one initializer over the size bound
 *   graph_loop_unbounded  a Loop whose trip count is not a constant within the bound
 */
import { AgentError, type ErrorCode } from './errors.js';
import { readOnnxModel, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxTensorInfo } from './onnx-proto.js';

/** Ops the shipped detector, classifier and similarity models and the test fixtures use, and their close kin. */
export const DEFAULT_ALLOWED_OPS: readonly string[] = [
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Exp', 'Log', 'Neg', 'Abs', 'Reciprocal', 'Erf', 'Tanh', 'Sigmoid', 'HardSigmoid', 'HardSwish',
  'Relu', 'Softplus', 'LeakyRelu', 'PRelu', 'Clip', 'Softmax', 'LogSoftmax', 'Gelu', 'Mish', 'Elu', 'Selu',
  'Conv', 'ConvTranspose', 'MatMul', 'Gemm', 'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'GroupNormalization',
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'Resize', 'Upsample',
  'Concat', 'Split', 'Slice', 'Gather', 'GatherElements', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Expand', 'Tile', 'Pad',
  'Shape', 'Size', 'Constant', 'ConstantOfShape', 'Identity', 'Cast', 'CastLike', 'Range', 'Where', 'Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Not', 'And', 'Or',
  'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceL2', 'ReduceProd', 'ArgMax', 'ArgMin', 'TopK', 'Min', 'Max', 'Floor', 'Ceil', 'Round', 'Einsum',
  'Dropout', 'NonMaxSuppression', 'NonZero', 'ScatterND', 'ScatterElements', 'DepthToSpace', 'SpaceToDepth', 'Trilu', 'CumSum', 'Mod', 'Sign',
  'Loop', 'If',
  // the INT8 variants (issue 21 §1) are QDQ graphs: these two carry the quantization, onnxruntime fuses them away
  'QuantizeLinear', 'DequantizeLinear',
];

export interface GraphScanLimits {
  allowedOps: readonly string[];
  minOpset: number;
  maxOpset: number;
  maxInitializerBytes: number;
  maxLoopTrips: number;
}

export const DEFAULT_SCAN_LIMITS: GraphScanLimits = {
  allowedOps: DEFAULT_ALLOWED_OPS,
  minOpset: 7,
  maxOpset: 21,
  maxInitializerBytes: 256 * 1024 * 1024,
  maxLoopTrips: 10_000,
};

/** the standard ONNX operator domain ("" and its alias "ai.onnx") */
const STANDARD = new Set(['', 'ai.onnx']);

export interface GraphScanReport {
  nodes: number;
  initializers: number;
  opset: number;
  ops: string[];
}

function refuse(code: ErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new AgentError(code, `model graph refused: ${message}`, details);
}

const DTYPE_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2 };

function tensorBytes(t: OnnxTensorInfo): number {
  const declared = t.dims.reduce((a, d) => a * Math.max(0, d), 1) * (DTYPE_BYTES[t.dataType] ?? 1);
  return Math.max(declared, t.storedBytes);
}

function checkTensor(t: OnnxTensorInfo, limits: GraphScanLimits, where: string): void {
  if (t.external) refuse('graph_external_data', `${where} ${JSON.stringify(t.name)} refers to external data${t.externalLocations.length ? ` (${t.externalLocations.map((l) => JSON.stringify(l)).join(', ')})` : ''}`, { tensor: t.name, locations: t.externalLocations });
  const bytes = tensorBytes(t);
  if (bytes > limits.maxInitializerBytes)
    refuse('graph_initializer_too_large', `${where} ${JSON.stringify(t.name)} is ${bytes} bytes, over the bound of ${limits.maxInitializerBytes}`, { tensor: t.name, bytes, max: limits.maxInitializerBytes });
}

/** constant int64 scalars visible in a graph: initializers and Constant nodes (value attribute) */
function constants(g: OnnxGraph, outer: ReadonlyMap<string, bigint>): Map<string, bigint> {
  const c = new Map(outer);
  for (const t of g.initializers) if (t.int64Values?.length === 1) c.set(t.name, t.int64Values[0]!);
  for (const n of g.nodes) {
    if (n.opType !== 'Constant' || !STANDARD.has(n.domain)) continue;
    const v = n.attributes.find((a) => a.name === 'value')?.t?.int64Values;
    const iv = n.attributes.find((a) => a.name === 'value_int')?.i;
    if (v?.length === 1) c.set(n.outputs[0]!, v[0]!);
    else if (iv !== undefined) c.set(n.outputs[0]!, iv);
  }
  return c;
}

function checkNode(n: OnnxNode, consts: ReadonlyMap<string, bigint>, limits: GraphScanLimits, allowed: ReadonlySet<string>, ops: Set<string>): void {
  if (!STANDARD.has(n.domain)) refuse('graph_custom_domain', `op ${n.opType} is from the custom domain ${JSON.stringify(n.domain)}`, { op: n.opType, domain: n.domain });
  if (!allowed.has(n.opType)) refuse('graph_op_not_allowed', `op ${n.opType} is not on the allow-list`, { op: n.opType });
  ops.add(n.opType);
  if (n.opType === 'Loop') {
    // [issue 20 §3] the trip count M (input 0) must be a constant within the bound: a Loop that only
    // stops on its condition can run forever on crafted input
    const m = n.inputs[0];
    const trips = m ? consts.get(m) : undefined;
    if (trips === undefined) refuse('graph_loop_unbounded', `a Loop has ${m ? `a trip count (${JSON.stringify(m)}) that is not a constant` : 'no trip count'}`, { input: m ?? '' });
    if (trips < 0n || trips > BigInt(limits.maxLoopTrips)) refuse('graph_loop_unbounded', `a Loop's trip count ${trips} is outside 0..${limits.maxLoopTrips}`, { trips: String(trips), max: limits.maxLoopTrips });
  }
  for (const a of n.attributes) if (a.t) checkTensor(a.t, limits, `attribute tensor of ${n.opType}`);
}

function walk(g: OnnxGraph, outer: ReadonlyMap<string, bigint>, limits: GraphScanLimits, allowed: ReadonlySet<string>, ops: Set<string>, count: { nodes: number; initializers: number }): void {
  for (const t of [...g.initializers, ...g.sparseInitializers]) checkTensor(t, limits, 'initializer');
  count.initializers += g.initializers.length + g.sparseInitializers.length;
  const consts = constants(g, outer);
  for (const n of g.nodes) {
    count.nodes++;
    checkNode(n, consts, limits, allowed, ops);
    // subgraphs (Loop bodies, If branches) obey the same rules and see the outer constants
    for (const a of n.attributes) for (const sub of a.graphs) walk(sub, consts, limits, allowed, ops, count);
  }
}

/** Scans a parsed model; throws the first refusal. */
export function scanModel(m: OnnxModel, limits: GraphScanLimits = DEFAULT_SCAN_LIMITS): GraphScanReport {
  for (const o of m.opsets) if (!STANDARD.has(o.domain)) refuse('graph_custom_domain', `the model imports opset domain ${JSON.stringify(o.domain)}`, { domain: o.domain });
  for (const f of m.functions) refuse('graph_custom_domain', `the model defines a local function ${JSON.stringify(f.name)} in domain ${JSON.stringify(f.domain)}`, { domain: f.domain });
  const std = m.opsets.find((o) => STANDARD.has(o.domain));
  if (!std) refuse('graph_opset_range', 'the model imports no standard ONNX opset');
  if (std.version < limits.minOpset || std.version > limits.maxOpset)
    refuse('graph_opset_range', `opset ${std.version} is outside ${limits.minOpset}..${limits.maxOpset}`, { opset: std.version, min: limits.minOpset, max: limits.maxOpset });
  const ops = new Set<string>();
  const count = { nodes: 0, initializers: 0 };
  walk(m.graph, new Map(), limits, new Set(limits.allowedOps), ops, count);
  return { ...count, opset: std.version, ops: [...ops].sort() };
}

/** Reads and scans ONNX bytes (graph_unreadable for a file that is not ONNX). */
export function scanOnnx(bytes: Uint8Array, limits: GraphScanLimits = DEFAULT_SCAN_LIMITS): GraphScanReport {
  return scanModel(readOnnxModel(bytes), limits);
}

/** The bytes, once they pass the scan (for call sites that go on to load or sign them). */
export function scannedOnnx(bytes: Uint8Array, limits: GraphScanLimits = DEFAULT_SCAN_LIMITS): Uint8Array {
  scanOnnx(bytes, limits);
  return bytes;
}
