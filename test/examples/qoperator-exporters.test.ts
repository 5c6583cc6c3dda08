/**
 * onnxruntime QOperator models of the exporter-matrix architectures, TorchScript
 * exports (test/fixtures/qoperator/exporters/torchscript_*: the float models of
 * test/fixtures/exporters/float through ort_qoperator.py, U8S8 per-channel and
 * U8U8 per-tensor) against onnxruntime (qoperator-check.ts). They bring the
 * QOperator ops the examples do not: QLinearConcat (SqueezeNet fire),
 * QLinearGlobalAveragePool, QLinearMul (HardSwish, SE), 1-D QLinearConv, and
 * float islands (HardSigmoid) between QOperator nodes.
 */
import { describeQOperatorFixtures } from './qoperator-check.js';

describeQOperatorFixtures('onnxruntime QOperator models of the TorchScript exporter architectures against onnxruntime (native gcc)', 'test/fixtures/qoperator/exporters', /^torchscript_/, 16);
