import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { benchPostprocess } from '../../src/segmenter/postprocess/postprocess.bench';

/** The bench page: the post-processing cases on tfjs-webgpu, as the app's worker sets it up. */
async function main(): Promise<void> {
  const lines: string[] = [];
  const log = (line: string) => {
    console.log(line);
    lines.push(line);
    (document.getElementById('log') as HTMLElement).textContent = lines.join('\n');
  };
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  if (!(await tf.setBackend('webgpu'))) throw new Error('no webgpu backend');
  await benchPostprocess(log);
  document.body.dataset.done = 'true';
}

main().catch((error: unknown) => {
  document.body.dataset.error = String(error);
});
