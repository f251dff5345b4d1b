import { CheckpointFormatError } from '../errors';
import datasets from '../../datasets/kmax-datasets.json';

/**
 * deeplab2 orders the class heads of its Cityscapes and ADE20K checkpoints thing
 * classes first, then stuff, then void; PyTorch (and the engine) order them by class
 * id with void last (spec 9, T24). COCO is the same in both.
 */

interface DatasetOrder {
  readonly num_classes: number;
  readonly tf_class_head_order_same_as_pytorch?: boolean;
  readonly tf_logit_index_to_pytorch_id?: readonly number[];
}

const ORDERS = datasets as unknown as Record<string, DatasetOrder | undefined>;

/**
 * For a dataset whose TF class order differs: `order[k]` is the PyTorch class id of
 * TF logit k (void excluded). Null when the orders agree or the dataset is not one
 * of deeplab2's (a model trained here uses PyTorch order).
 */
export function tfClassOrder(dataset: string): readonly number[] | null {
  const info = ORDERS[dataset];
  if (info === undefined || info.tf_class_head_order_same_as_pytorch !== false) return null;
  const order = info.tf_logit_index_to_pytorch_id;
  if (order === undefined || order.length !== info.num_classes) {
    throw new Error(`kmax-datasets.json: ${dataset} lacks a ${info.num_classes}-entry tf_logit_index_to_pytorch_id`);
  }
  return order;
}

/**
 * Moves TF class slot k of the last axis to PyTorch slot order[k]; the void slot
 * (the last one) stays last. Works for class-head kernels [in, C+1] and biases [C+1].
 */
export function reorderClassAxis(
  key: string,
  shape: readonly number[],
  data: Float32Array,
  order: readonly number[],
): Float32Array {
  const classes = shape[shape.length - 1];
  if (classes !== order.length + 1) {
    throw new CheckpointFormatError(
      `"${key}" has ${classes} class slots, but the dataset has ${order.length} classes + void; ` +
        'is the checkpoint for another dataset?',
    );
  }
  const out = new Float32Array(data.length);
  for (let row = 0; row < data.length; row += classes) {
    for (let k = 0; k < order.length; k++) out[row + order[k]] = data[row + k];
    out[row + order.length] = data[row + order.length];
  }
  return out;
}
