"""The encoder as ONNX graphs for ONNX Runtime: the fp32 export and its per-token int8 rewrite.

:func:`export_fp32` exports the whole classifier (encoder, mean pooling of the sentence and of each
marked span, head, softmax) once with torch's TorchScript exporter, with dynamic batch, length and
span counts. :func:`quantize_per_token` rewrites every ``MatMul`` with a constant weight into int8:
weights with one scale per output unit, inputs quantized on the fly with **one scale per token**
(the same W8A8 arithmetic as :class:`stancekit.models.quantization.Int8Linear`), the product in
int32 (``MatMulIntegerToFloat``, which ONNX Runtime runs on VNNI/AMX/AVX2 integer kernels) and rescaled
to fp32. Attention, layer norms, pooling and the softmax stay fp32.

Why not ``onnxruntime.quantization.quantize_dynamic``: it gives each tensor one activation scale,
so one outlier token (MiniLM's feed-forward inputs have channels at 6-15x their median) or one long
padded row coarsens every other token of the batch, and a sentence's scores depend on which
sentences share its batch (measured on the seed coverage: twice the probability error of per-token
scales at the same speed). Static quantization would need calibration data at export time. The
activations are quantized symmetrically (zero point 0) and fed to the integer product as uint8 with
a zero point of 128, the u8 x s8 form that ONNX Runtime's x86 kernels take (int8 x int8 was measured
about 5x slower).

:func:`probe_graphs` builds one encoder-sized matrix product both ways, for the millisecond probe
that decides whether int8 pays on this CPU (:mod:`stancekit.models.onnx_runtime`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

SPAN_INPUTS = ("span_rows", "span_starts", "span_ends")
OUTPUT = "probabilities"
OPSET = 17
CONTRIB = "com.microsoft"  # ONNX Runtime's own operators (MatMulIntegerToFloat)
IR_VERSION = 8  # what opset 17 needs; onnx writes its newest by default, which older ONNX Runtimes refuse
PROBE_SHAPE = (256, 384, 1536)  # tokens x hidden x feed-forward width of a MiniLM layer


def input_names(use_spans: bool, token_types: bool) -> list[str]:
    """The graph's inputs, in the order the exported forward takes them."""
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if token_types else [])
    return names + (list(SPAN_INPUTS) if use_spans else [])


def export_fp32(model: Any, batch: dict[str, Any], path: Path) -> list[str]:
    """Export ``model`` (a :class:`~stancekit.models.transformer.SpanPoolingClassifier`) to ``path``;
    ``batch`` is an example batch (torch tensors by input name). Returns the graph's input names."""
    import torch

    names = [name for name in input_names(model.use_spans, True) if name in batch]

    class Probabilities(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return torch.softmax(self.inner(**dict(zip(names, inputs)))["logits"].float(), dim=-1)

    axes = {name: {0: "rows", 1: "tokens"} for name in names if name not in SPAN_INPUTS}
    axes |= {name: {0: "items"} for name in names if name in SPAN_INPUTS}
    axes[OUTPUT] = {0: "items"}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer and deprecation notes about the exporter, not about the model
        torch.onnx.export(Probabilities().eval(), tuple(batch[name] for name in names), str(path),
                          input_names=names, output_names=[OUTPUT], dynamic_axes=axes, opset_version=OPSET,
                          dynamo=False)
    return names


def quantize_per_token(model: Any) -> int:
    """Rewrite ``model`` (an ``onnx.ModelProto``) in place: every ``MatMul`` by a constant 2-D weight
    becomes per-token int8 x per-channel int8; returns how many were rewritten.

    Per input (flattened to tokens x width): scale = max|x| / 127 per token, ``QuantizeLinear`` along the
    tokens (uint8, zero point 128). Per product: ONNX Runtime's ``MatMulIntegerToFloat`` (int32
    accumulation, rescaled by the weight's per-unit scales inside the kernel), times the token scales. An
    input read by several products (the query, key and value projections) is quantized once. Measured on
    one 256x384x1536 product, CPU time of one thread: this form 0.61 ms; ``MatMulInteger`` + cast + two
    products 0.88 ms; elementwise quantization instead of ``QuantizeLinear`` 0.69 ms; fp32 1.75 ms.
    """
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    constants: list[Any] = []

    def constant(name: str, value: np.ndarray) -> str:
        constants.append(numpy_helper.from_array(value, name))
        return name

    one = constant("q_127", np.array(127.0, dtype=np.float32))
    unit = constant("q_1", np.array(1.0, dtype=np.float32))
    tiny = constant("q_tiny", np.array(1e-8 / 127.0, dtype=np.float32))
    zero_point = constant("q_zero_point", np.array(128, dtype=np.uint8))
    last_axis = constant("q_axis1", np.array([1], dtype=np.int64))
    all_but_last = (constant("q_0", np.array([0], dtype=np.int64)), constant("q_-1", np.array([-1], dtype=np.int64)))
    zero_points = helper.make_tensor("q_128", TensorProto.UINT8, [1], [128])
    nodes: list[Any] = []
    quantized: dict[tuple[str, int], tuple[str, str]] = {}  # (input, width) -> (uint8 tokens, token scales)
    count = 0
    for node in graph.node:
        weight = weights.get(node.input[1]) if node.op_type == "MatMul" else None
        if weight is None or len(weight.dims) != 2 or weight.data_type != TensorProto.FLOAT:
            nodes.append(node)
            continue
        w = numpy_helper.to_array(weight).astype(np.float32)
        width, units = w.shape
        scale_w = np.maximum(np.abs(w).max(axis=0), 1e-8) / 127.0
        p = f"q{count}_"
        count += 1
        x, y = node.input[0], node.output[0]
        if (x, width) not in quantized:
            q = f"{p}in_"
            nodes += [
                helper.make_node("Reshape", [x, constant(q + "flat", np.array([-1, width], dtype=np.int64))],
                                 [q + "x"]),
                helper.make_node("Abs", [q + "x"], [q + "abs"]),
                helper.make_node("ReduceMax", [q + "abs"], [q + "max"], axes=[1], keepdims=0),
                helper.make_node("Div", [q + "max", one], [q + "s0"]),
                helper.make_node("Max", [q + "s0", tiny], [q + "scale"]),
                helper.make_node("Shape", [q + "scale"], [q + "tokens"]),
                helper.make_node("ConstantOfShape", [q + "tokens"], [q + "zero_points"], value=zero_points),
                helper.make_node("QuantizeLinear", [q + "x", q + "scale", q + "zero_points"], [q + "xq"], axis=0),
                helper.make_node("Unsqueeze", [q + "scale", last_axis], [q + "column"]),
            ]
            quantized[(x, width)] = (q + "xq", q + "column")
        rows, row_scale = quantized[(x, width)]
        nodes += [
            helper.make_node("MatMulIntegerToFloat", [rows, constant(p + "w", np.round(w / scale_w).astype(np.int8)),
                                                      unit, constant(p + "w_scale", scale_w.astype(np.float32)),
                                                      zero_point], [p + "yw"], domain=CONTRIB),
            helper.make_node("Mul", [p + "yw", row_scale], [p + "y"]),
            helper.make_node("Shape", [x], [p + "in_shape"]),
            helper.make_node("Slice", [p + "in_shape", *all_but_last], [p + "lead"]),
            helper.make_node("Concat", [p + "lead", constant(p + "units", np.array([units], dtype=np.int64))],
                             [p + "out_shape"], axis=0),
            helper.make_node("Reshape", [p + "y", p + "out_shape"], [y]),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(constants)
    if count and not any(o.domain == CONTRIB for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(CONTRIB, 1))
    used = {name for node in graph.node for name in node.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return count


def probe_graphs(shape: Sequence[int] = PROBE_SHAPE) -> tuple[bytes, bytes]:
    """One ``MatMul`` of an encoder layer's shape, serialized in fp32 and rewritten to per-token int8."""
    from onnx import TensorProto, helper, numpy_helper

    rows, width, units = shape
    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.standard_normal((width, units)).astype(np.float32), "w")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "probe",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, width])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [rows, units])], [weight])
    fp32 = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    int8 = type(fp32)()
    int8.CopyFrom(fp32)
    quantize_per_token(int8)
    return fp32.SerializeToString(), int8.SerializeToString()
