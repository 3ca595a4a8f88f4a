#!/usr/bin/python3
"""Writes a valid ONNX model of about SIZE MiB (benchmarks only): x float32[1,4] -> y = x + W[0],
where W is a float32 [K,4] initializer that makes up the size. Usage: make_big_model.py OUT SIZE_MIB [SEED]"""
import sys
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper

out, mib = sys.argv[1], float(sys.argv[2])
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
k = max(1, int(mib * 1024 * 1024 / 16))
w = np.random.default_rng(seed).standard_normal([k, 4]).astype(np.float32)
x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 4])
y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 4])
nodes = [helper.make_node('Gather', ['W', 'idx'], ['row'], axis=0), helper.make_node('Add', ['x', 'row'], ['y'])]
inits = [numpy_helper.from_array(w, 'W'), numpy_helper.from_array(np.array([0], dtype=np.int64), 'idx')]
m = helper.make_model(helper.make_graph(nodes, 'big', [x], [y], inits), opset_imports=[helper.make_opsetid('', 17)], ir_version=8)
m.producer_name = 'rpa-edge-bench'
with open(out, 'wb') as f:
    f.write(m.SerializeToString())
