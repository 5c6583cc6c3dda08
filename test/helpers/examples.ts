/** The bundled example models the suite checks end to end. */
import { existsSync } from 'node:fs';

export interface ExampleModel {
  id: string;
  path: string;
  /**
   * Largest end-to-end |diff| (LSB) accepted against onnxruntime. Isolated layers are all
   * within 1 LSB; above 4 here is accumulation in random-weight nets (vww, autoencoder)
   * or softmax amplifying a 1-LSB logit difference (tf2onnx_int8). See README.
   */
  maxLsb: number;
}

export const EXAMPLES: ExampleModel[] = [
  { id: 'kws_dscnn', path: 'examples/kws_dscnn/kws_dscnn_int8.onnx', maxLsb: 4 },
  { id: 'vww_mobilenet', path: 'examples/vww_mobilenet/vww_mobilenet_int8.onnx', maxLsb: 8 },
  { id: 'ic_resnet8', path: 'examples/ic_resnet8/ic_resnet8_int8.onnx', maxLsb: 4 },
  { id: 'ic_resnet8_uint8', path: 'examples/ic_resnet8/ic_resnet8_uint8.onnx', maxLsb: 4 },
  { id: 'ic_resnet8_pertensor', path: 'examples/ic_resnet8/ic_resnet8_int8_pertensor.onnx', maxLsb: 4 },
  { id: 'ad_autoencoder', path: 'examples/ad_autoencoder/ad_autoencoder_int8.onnx', maxLsb: 6 },
  { id: 'digits', path: 'examples/digits/digits_int8.onnx', maxLsb: 4 },
  { id: 'digits_pertensor', path: 'examples/digits/digits_int8_pertensor.onnx', maxLsb: 4 },
  { id: 'tf2onnx_int8', path: 'examples/tf2onnx_int8/tf2onnx_int8.onnx', maxLsb: 16 },
].filter((e) => existsSync(e.path));
