#!/usr/bin/python3
"""Static INT8 quantization of an fp32 ONNX model into the QDQ format (issue 21 §1), graph side.

Run with Debian's /usr/bin/python3 (python3-onnx, python3-numpy); there is no onnxruntime Python package here,
so the calibration run itself happens in Node (scripts/quantize/calibrate.ts, onnxruntime-node) between the two
steps of this script:

  qdq.py plan      --model fp32.onnx --augmented OUT.onnx --plan OUT.json [--keep-float NAME,...] [--no-first]
      writes the tensors to calibrate (activations that get QuantizeLinear/DequantizeLinear) and a copy of the
      graph that exposes them as extra outputs
  qdq.py quantize  --model fp32.onnx --plan PLAN.json --ranges RANGES.json --out int8.onnx
      writes the QDQ model: per-channel symmetric int8 weights (axis 0) and int32 biases for Conv, uint8 asymmetric
      activations from the calibrated ranges, the decode (Softplus/Sigmoid/Softmax, the head convs that feed them,
      the classifier's pooling and Gemm) left in float. Opset 17, same input/output names and shapes.

Layout follows onnxruntime's QDQ rules so its CPU execution provider fuses the groups into int8 kernels:
DQ(x) + DQ(w) + DQ(bias int32) -> Conv -> [Relu] -> Q  becomes QLinearConv (Relu is dropped when Q's zero point is
the bottom of the range, ReluQuantFusion), DQ + DQ -> Add -> Q becomes QLinearAdd, and a nearest Resize between
DQ and Q with the same scale and zero point runs on uint8 directly. u8 activations with s8 weights are what
AVX-512 VNNI (vpdpbusd) multiplies natively.
"""
import argparse
import json
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

WEIGHTED = {'Conv'}
# ops that produce a quantized output from quantized inputs (the QDQ "node units" onnxruntime fuses)
ELEMENTWISE = {'Add'}
# ops that pass uint8 through unchanged (nearest resize): output gets the input's scale and zero point
PASSTHROUGH = {'Resize', 'MaxPool'}
# float decode ops: a Conv feeding only these stays float (its output is a box distance or a logit)
DECODE = {'Softplus', 'Sigmoid', 'Softmax'}


def fail(msg):
    print(f'error[bad_argument]: {msg}', file=sys.stderr)
    sys.exit(2)


def consumers_of(graph):
    out = {}
    for n in graph.node:
        for i in n.input:
            if i:
                out.setdefault(i, []).append(n)
    return out


def make_plan(model, keep_float=(), quantize_first=True, float_ops=(), float_tails=False):
    """Decide which nodes run in int8 and which activation tensors get a Q/DQ pair."""
    g = model.graph
    inits = {t.name for t in g.initializer}
    cons = consumers_of(g)
    graph_outputs = {o.name for o in g.output}
    first_conv = next((n.name for n in g.node if n.op_type in WEIGHTED), None)
    quantized_nodes = []
    # tensor -> {'kind': 'free' | 'same_as', 'of': tensor}; 'free' gets its own calibrated range
    tensors = {}
    # tensors that carry a quantized value (a Q/DQ pair sits on them)
    qt = set()

    def output_after_relu(node):
        t = node.output[0]
        c = cons.get(t, [])
        if len(c) == 1 and c[0].op_type == 'Relu' and t not in graph_outputs:
            return c[0].output[0], c[0].name
        return t, None

    def feeds_only_decode(t):
        c = cons.get(t, [])
        return t in graph_outputs or (len(c) > 0 and all(x.op_type in DECODE for x in c))

    for n in g.node:
        if n.name in keep_float or n.op_type in float_ops:
            continue
        if n.op_type in WEIGHTED and len(n.input) >= 2 and n.input[1] in inits:
            if n.name == first_conv and not quantize_first:
                continue
            out, relu = output_after_relu(n)
            if feeds_only_decode(out):
                continue  # a head: its output is decoded in float, so it stays a float Conv
            x = n.input[0]
            if x not in qt:
                tensors[x] = {'kind': 'free'}
                qt.add(x)
            tensors[out] = {'kind': 'free'}
            qt.add(out)
            quantized_nodes.append({'name': n.name, 'op': n.op_type, 'relu': relu, 'input': x, 'output': out})
        elif n.op_type in ELEMENTWISE:
            ins = [i for i in n.input if i]
            if ins and all(i in qt for i in ins) and n.output[0] not in graph_outputs:
                tensors[n.output[0]] = {'kind': 'free'}
                qt.add(n.output[0])
                quantized_nodes.append({'name': n.name, 'op': n.op_type, 'input': ins, 'output': n.output[0]})
        elif n.op_type in PASSTHROUGH:
            if n.input[0] in qt and n.output[0] not in graph_outputs:
                if n.op_type == 'Resize' and next((a.s for a in n.attribute if a.name == 'mode'), b'nearest') != b'nearest':
                    continue
                tensors[n.output[0]] = {'kind': 'same_as', 'of': n.input[0]}
                qt.add(n.output[0])
                quantized_nodes.append({'name': n.name, 'op': n.op_type, 'input': n.input[0], 'output': n.output[0]})
    if float_tails:
        # an Add (or Resize) whose result only feeds float layers (the detector's head convs) stays float too: its
        # output would otherwise be rounded to 8 bits right before the box regression and score
        changed = True
        while changed:
            changed = False
            names = {q['name'] for q in quantized_nodes}
            for q in list(quantized_nodes):
                if q['op'] in WEIGHTED:
                    continue
                c = cons.get(q['output'], [])
                if c and not any(x.name in names for x in c):
                    quantized_nodes.remove(q)
                    del tensors[q['output']]
                    changed = True
    free = [t for t, v in tensors.items() if v['kind'] == 'free']
    return {'nodes': quantized_nodes, 'tensors': tensors, 'calibrate': free,
            'keptFloat': [n.name for n in g.node if n.op_type in WEIGHTED and n.name not in {q['name'] for q in quantized_nodes}]}


def augment(model, names):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for t in names:
        if t not in have:
            m.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
    return m


def activation_qparams(lo, hi):
    lo, hi = min(0.0, float(lo)), max(0.0, float(hi))
    if hi - lo < 1e-8:
        hi = lo + 1e-8
    scale = (hi - lo) / 255.0
    zp = int(round(-lo / scale))
    return np.float32(scale), np.uint8(max(0, min(255, zp)))


def quantize(model, plan, ranges):
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    new_inits = []
    qparams = {}
    for t, v in plan['tensors'].items():
        if v['kind'] == 'free':
            if t not in ranges:
                fail(f'no calibrated range for tensor {t}')
            qparams[t] = activation_qparams(*ranges[t])
    for t, v in plan['tensors'].items():
        if v['kind'] == 'same_as':
            qparams[t] = qparams[v['of']]
    for t, (s, z) in qparams.items():
        new_inits.append(numpy_helper.from_array(np.array(s, dtype=np.float32), f'{t}__scale'))
        new_inits.append(numpy_helper.from_array(np.array(z, dtype=np.uint8), f'{t}__zp'))

    # weights and biases of the int8 Convs
    qnodes = {q['name']: q for q in plan['nodes']}
    weight_dq = []  # (node name, input index, new tensor name)
    for n in g.node:
        q = qnodes.get(n.name)
        if not q or n.op_type not in WEIGHTED:
            continue
        w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
        absmax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        ws = np.where(absmax > 0, absmax / 127.0, 1.0).astype(np.float32)
        wq = np.clip(np.round(w / ws.reshape(-1, *([1] * (w.ndim - 1)))), -127, 127).astype(np.int8)
        base = n.name.strip('/').replace('/', '_') or n.input[1]
        new_inits += [numpy_helper.from_array(wq, f'{base}__w_q'), numpy_helper.from_array(ws, f'{base}__w_scale'),
                      numpy_helper.from_array(np.zeros(w.shape[0], dtype=np.int8), f'{base}__w_zp')]
        weight_dq.append(helper.make_node('DequantizeLinear', [f'{base}__w_q', f'{base}__w_scale', f'{base}__w_zp'], [f'{base}__w_dq'], name=f'{base}__w_DQ', axis=0))
        n.input[1] = f'{base}__w_dq'
        if len(n.input) >= 3 and n.input[2] in inits:
            b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float64)
            xs = float(qparams[q['input']][0])
            bs = (xs * ws.astype(np.float64)).astype(np.float32)
            bq = np.round(b / bs.astype(np.float64)).astype(np.int32)
            new_inits += [numpy_helper.from_array(bq, f'{base}__b_q'), numpy_helper.from_array(bs, f'{base}__b_scale'),
                          numpy_helper.from_array(np.zeros(w.shape[0], dtype=np.int32), f'{base}__b_zp')]
            weight_dq.append(helper.make_node('DequantizeLinear', [f'{base}__b_q', f'{base}__b_scale', f'{base}__b_zp'], [f'{base}__b_dq'], name=f'{base}__b_DQ', axis=0))
            n.input[2] = f'{base}__b_dq'

    # activations: t -> Q -> DQ, each consumer gets its own DQ (onnxruntime groups one DQ per node unit)
    cons = consumers_of(g)
    graph_inputs = {i.name for i in g.input}
    producers = {o: n for n in g.node for o in n.output}
    new_nodes = []
    dq_for = {}  # (tensor, consumer name) -> dq output
    for t in qparams:
        for k, c in enumerate(cons.get(t, [])):
            dq_for[(t, c.name)] = f'{t}__dq{k}'

    def emit_qdq(t):
        s, z = f'{t}__scale', f'{t}__zp'
        out = [helper.make_node('QuantizeLinear', [t, s, z], [f'{t}__q'], name=f'{t}__Q')]
        for k, c in enumerate(cons.get(t, [])):
            out.append(helper.make_node('DequantizeLinear', [f'{t}__q', s, z], [f'{t}__dq{k}'], name=f'{t}__DQ{k}'))
        return out

    for t in qparams:
        if t in graph_inputs:
            new_nodes += emit_qdq(t)
    new_nodes += weight_dq
    for n in g.node:
        for i, name in enumerate(n.input):
            if (name, n.name) in dq_for:
                n.input[i] = dq_for[(name, n.name)]
        new_nodes.append(n)
        for o in n.output:
            if o in qparams and o not in graph_inputs:
                new_nodes += emit_qdq(o)
    del g.node[:]
    g.node.extend(new_nodes)
    used = {i for n in g.node for i in n.input}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    del g.value_info[:]
    model.producer_name = 'rpa-edge-agent scripts/quantize'
    onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser(prog='qdq.py')
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('plan')
    p.add_argument('--model', required=True)
    p.add_argument('--augmented', required=True)
    p.add_argument('--plan', required=True)
    p.add_argument('--keep-float', default='')
    p.add_argument('--no-first', action='store_true', help='keep the first Conv (the stem) in float')
    p.add_argument('--float-ops', default='', help='op types left in float, e.g. Resize')
    p.add_argument('--float-tails', action='store_true', help='keep Adds/Resizes that only feed float layers in float')
    q = sub.add_parser('quantize')
    q.add_argument('--model', required=True)
    q.add_argument('--plan', required=True)
    q.add_argument('--ranges', required=True)
    q.add_argument('--out', required=True)
    a = ap.parse_args()
    model = onnx.load(a.model)
    for i, n in enumerate(model.graph.node):
        if not n.name:
            n.name = f'{n.op_type}_{i}'  # consumers are keyed by node name
    if a.cmd == 'plan':
        keep = [s for s in a.keep_float.split(',') if s]
        plan = make_plan(model, keep, quantize_first=not a.no_first, float_ops=[s for s in a.float_ops.split(',') if s], float_tails=a.float_tails)
        onnx.save(augment(model, plan['calibrate']), a.augmented)
        with open(a.plan, 'w') as f:
            json.dump(plan, f, indent=1)
        print(f'{len(plan["nodes"])} nodes int8 ({sum(1 for x in plan["nodes"] if x["op"] in WEIGHTED)} Conv), '
              f'{len(plan["calibrate"])} tensors to calibrate, float Convs kept: {len(plan["keptFloat"])}')
    else:
        with open(a.plan) as f:
            plan = json.load(f)
        with open(a.ranges) as f:
            ranges = json.load(f)
        onnx.save(quantize(model, plan, ranges), a.out)


if __name__ == '__main__':
    main()
