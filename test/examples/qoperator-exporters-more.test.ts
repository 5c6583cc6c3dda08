/**
 * onnxruntime QOperator models (U8U8 per-tensor) of the exporter-matrix
 * architectures exported by Keras -> tf2onnx (NHWC: uint8 Transpose / Squeeze /
 * Unsqueeze, QLinearSoftmax) and by PyTorch's dynamo exporter (global pooling
 * as a float ReduceMean between QOperator islands), against onnxruntime
 * (qoperator-check.ts). A file of its own so that it runs beside the
 * TorchScript one.
 */
import { describeQOperatorFixtures } from './qoperator-check.js';

describeQOperatorFixtures('onnxruntime QOperator models of the Keras and dynamo exporter architectures against onnxruntime (native gcc)', 'test/fixtures/qoperator/exporters', /^(keras-tf2onnx|dynamo)_/, 16);
