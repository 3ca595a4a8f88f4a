/**
 * A minimal ONNX (protobuf) reader for the graph scan (issue 20 §3): just the fields the scan needs,
 * read straight from the wire format (varint, 64-bit, length-delimited, 32-bit), no generated code and
 * no python. Pure and bounded: nesting depth and counts are capped so a crafted file cannot exhaust us.
 * Field numbers: onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto).
 */
import { AgentError } from './errors.js';

export interface OnnxTensorInfo {
  name: string;
  dataType: number;
  dims: number[];
  /** bytes of the tensor's data as stored in the file (raw_data or the typed repeated fields) */
  storedBytes: number;
  /** data_location = EXTERNAL, or any external_data entry */
  external: boolean;
  /** external_data location values (a path relative to the model file) */
  externalLocations: string[];
  /** the int64 values, when stored (a Loop trip count is one) */
  int64Values?: bigint[];
}

export interface OnnxAttribute {
  name: string;
  type: number;
  i?: bigint;
  t?: OnnxTensorInfo;
  graphs: OnnxGraph[];
}

export interface OnnxNode {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: OnnxTensorInfo[];
  /** sparse_initializer count (their values and indices are tensors too) */
  sparseInitializers: OnnxTensorInfo[];
}

export interface OnnxModel {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  graph: OnnxGraph;
  /** model-local functions (FunctionProto): their domains and the ops inside them */
  functions: { domain: string; name: string; nodes: OnnxNode[] }[];
}

const MAX_DEPTH = 16;
const MAX_ITEMS = 1_000_000;

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }
  done(): boolean {
    return this.pos >= this.end;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw bad('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw bad('varint longer than 10 bytes');
  }
  small(): number {
    const v = this.varint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('a length or count is too large');
    return Number(v);
  }
  bytes(): Reader {
    const len = this.small();
    if (this.pos + len > this.end) throw bad('a field runs past the end of its message');
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }
  string(): string {
    const r = this.bytes();
    return new TextDecoder().decode(this.buf.subarray(r.pos, r.end));
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw bad(`unsupported protobuf wire type ${wire}`);
    if (this.pos > this.end) throw bad('a field runs past the end of its message');
  }
  /** iterates (field, wireType) pairs; the callback must consume the value or return false to skip it */
  fields(each: (field: number, wire: number) => boolean): void {
    let n = 0;
    while (!this.done()) {
      if (++n > MAX_ITEMS) throw bad('too many fields');
      const key = this.small();
      const field = key >>> 3;
      const wire = key & 7;
      if (!each(field, wire)) this.skip(wire);
    }
  }
}

function bad(message: string): AgentError {
  return new AgentError('graph_unreadable', `the model is not a readable ONNX file: ${message}`);
}

/** int64 values of a repeated field, packed (wire 2) or not (wire 0) */
function int64s(r: Reader, wire: number, out: bigint[]): void {
  if (wire === 0) out.push(BigInt.asIntN(64, r.varint()));
  else {
    const p = r.bytes();
    while (!p.done()) out.push(BigInt.asIntN(64, p.varint()));
  }
}

function readTensor(r: Reader): OnnxTensorInfo {
  const t: OnnxTensorInfo = { name: '', dataType: 0, dims: [], storedBytes: 0, external: false, externalLocations: [] };
  const ints: bigint[] = [];
  let raw8: Uint8Array | undefined;
  r.fields((f, w) => {
    if (f === 1) {
      const d: bigint[] = [];
      int64s(r, w, d);
      t.dims.push(...d.map(Number));
    } else if (f === 2 && w === 0) t.dataType = r.small();
    else if (f === 8 && w === 2) t.name = r.string();
    else if (f === 7) int64s(r, w, ints); // int64_data
    else if ((f === 9 || f === 4 || f === 5 || f === 6 || f === 10 || f === 11) && w === 2) {
      // raw_data (9) and the packed typed fields: what the tensor occupies in the file
      const b = r.bytes();
      t.storedBytes += b.end - b.pos;
      if (f === 9 && b.end - b.pos === 8) raw8 = b.buf.subarray(b.pos, b.end); // a scalar's raw_data (a trip count)
    } else if (f === 13 && w === 2) {
      // external_data: StringStringEntryProto { key = 1, value = 2 }
      t.external = true;
      const e = r.bytes();
      let key = '';
      let value = '';
      e.fields((ef, ew) => {
        if (ef === 1 && ew === 2) key = e.string();
        else if (ef === 2 && ew === 2) value = e.string();
        else return false;
        return true;
      });
      if (key === 'location') t.externalLocations.push(value);
    } else if (f === 14 && w === 0) {
      if (r.small() === 1) t.external = true; // data_location = EXTERNAL
    } else return false;
    return true;
  });
  if (ints.length) {
    t.int64Values = ints;
    t.storedBytes += ints.length * 8;
  } else if (raw8 && t.dataType === 7) {
    // int64 raw_data is little-endian (onnx.proto)
    t.int64Values = [new DataView(raw8.buffer, raw8.byteOffset, 8).getBigInt64(0, true)];
  }
  return t;
}

function readAttribute(r: Reader, depth: number): OnnxAttribute {
  const a: OnnxAttribute = { name: '', type: 0, graphs: [] };
  r.fields((f, w) => {
    if (f === 1 && w === 2) a.name = r.string();
    else if (f === 20 && w === 0) a.type = r.small();
    else if (f === 3 && w === 0) a.i = BigInt.asIntN(64, r.varint());
    else if (f === 5 && w === 2) a.t = readTensor(r.bytes());
    else if ((f === 6 || f === 11) && w === 2) a.graphs.push(readGraph(r.bytes(), depth + 1));
    else return false;
    return true;
  });
  return a;
}

function readNode(r: Reader, depth: number): OnnxNode {
  const n: OnnxNode = { opType: '', domain: '', inputs: [], outputs: [], attributes: [] };
  r.fields((f, w) => {
    if (f === 1 && w === 2) n.inputs.push(r.string());
    else if (f === 2 && w === 2) n.outputs.push(r.string());
    else if (f === 4 && w === 2) n.opType = r.string();
    else if (f === 7 && w === 2) n.domain = r.string();
    else if (f === 5 && w === 2) n.attributes.push(readAttribute(r.bytes(), depth));
    else return false;
    return true;
  });
  return n;
}

function readGraph(r: Reader, depth: number): OnnxGraph {
  if (depth > MAX_DEPTH) throw bad(`subgraphs nested deeper than ${MAX_DEPTH}`);
  const g: OnnxGraph = { nodes: [], initializers: [], sparseInitializers: [] };
  r.fields((f, w) => {
    if (f === 1 && w === 2) g.nodes.push(readNode(r.bytes(), depth));
    else if (f === 5 && w === 2) g.initializers.push(readTensor(r.bytes()));
    else if (f === 15 && w === 2) {
      // SparseTensorProto { values = 1, indices = 2 }: both are tensors
      const s = r.bytes();
      s.fields((sf, sw) => {
        if ((sf === 1 || sf === 2) && sw === 2) g.sparseInitializers.push(readTensor(s.bytes()));
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  return g;
}

/** Parses the parts of an ONNX ModelProto the scan needs. Throws graph_unreadable on malformed bytes. */
export function readOnnxModel(bytes: Uint8Array): OnnxModel {
  const r = new Reader(bytes);
  const m: OnnxModel = { irVersion: 0, opsets: [], graph: { nodes: [], initializers: [], sparseInitializers: [] }, functions: [] };
  let sawGraph = false;
  r.fields((f, w) => {
    if (f === 1 && w === 0) m.irVersion = r.small();
    else if (f === 8 && w === 2) {
      const o = r.bytes();
      const op = { domain: '', version: 0 };
      o.fields((of, ow) => {
        if (of === 1 && ow === 2) op.domain = o.string();
        else if (of === 2 && ow === 0) op.version = o.small();
        else return false;
        return true;
      });
      m.opsets.push(op);
    } else if (f === 7 && w === 2) {
      m.graph = readGraph(r.bytes(), 0);
      sawGraph = true;
    } else if (f === 25 && w === 2) {
      // FunctionProto { name = 1, node = 7, domain = 10 }
      const fr = r.bytes();
      const fn = { domain: '', name: '', nodes: [] as OnnxNode[] };
      fr.fields((ff, fw) => {
        if (ff === 1 && fw === 2) fn.name = fr.string();
        else if (ff === 10 && fw === 2) fn.domain = fr.string();
        else if (ff === 7 && fw === 2) fn.nodes.push(readNode(fr.bytes(), 1));
        else return false;
        return true;
      });
      m.functions.push(fn);
    } else return false;
    return true;
  });
  if (!sawGraph) throw bad('no graph');
  return m;
}
