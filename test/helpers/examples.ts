/** The bundled example models the suite checks end to end. */
import { existsSync } from 'node:fs';

export interface ExampleModel {
  id: string;
  path: string;
  /** Largest |diff| (LSB) accepted against onnxruntime; see the README for why not 0. */
  maxLsb: number;
}

export const EXAMPLES: ExampleModel[] = [
  { id: 'kws_dscnn', path: 'examples/kws_dscnn/kws_dscnn_int8.onnx', maxLsb: 4 },
  { id: 'vww_mobilenet', path: 'examples/vww_mobilenet/vww_mobilenet_int8.onnx', maxLsb: 4 },
  { id: 'ic_resnet8', path: 'examples/ic_resnet8/ic_resnet8_int8.onnx', maxLsb: 4 },
  { id: 'ic_resnet8_uint8', path: 'examples/ic_resnet8/ic_resnet8_uint8.onnx', maxLsb: 4 },
  { id: 'ic_resnet8_pertensor', path: 'examples/ic_resnet8/ic_resnet8_int8_pertensor.onnx', maxLsb: 4 },
  { id: 'ad_autoencoder', path: 'examples/ad_autoencoder/ad_autoencoder_int8.onnx', maxLsb: 4 },
  { id: 'digits', path: 'examples/digits/digits_int8.onnx', maxLsb: 4 },
  { id: 'digits_pertensor', path: 'examples/digits/digits_int8_pertensor.onnx', maxLsb: 4 },
  { id: 'tf2onnx_int8', path: 'examples/tf2onnx_int8/tf2onnx_int8.onnx', maxLsb: 4 },
].filter((e) => existsSync(e.path));
