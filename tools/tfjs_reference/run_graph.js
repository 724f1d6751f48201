// Runs a TF.js graph model with TF.js itself (CPU backend) on float32 inputs; the reference side
// of tools/convert_tfjs_embedders.py's parity check (tools only).
//   NODE_PATH=<dir with @tensorflow/tfjs-core, -converter, -backend-cpu> node run_graph.js \
//     MODEL.json INPUT.f32 N H W OUT_PREFIX OUTPUT_NAME [OUTPUT_NAME ...]
// INPUT.f32: N*H*W*3 little-endian float32 (NHWC); writes OUT_PREFIX.<i>.f32 per output.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const converter = require('@tensorflow/tfjs-converter');

async function main() {
  const [modelJson, inputFile, n, h, w, outPrefix, ...outputs] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const spec = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const specs = [];
  const buffers = [];
  for (const group of spec.weightsManifest) {
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(path.dirname(modelJson), p)));
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const handler = tf.io.fromMemory({ modelTopology: spec.modelTopology, weightSpecs: specs, weightData,
    format: spec.format, generatedBy: spec.generatedBy, convertedBy: spec.convertedBy });
  const model = await converter.loadGraphModel(handler);
  const raw = fs.readFileSync(inputFile);
  const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const x = tf.tensor4d(data, [Number(n), Number(h), Number(w), 3]);
  let res = model.execute(x, outputs);
  if (!Array.isArray(res)) res = [res];
  for (let i = 0; i < res.length; i++) {
    const v = await res[i].data();
    fs.writeFileSync(`${outPrefix}.${i}.f32`, Buffer.from(new Float32Array(v).buffer));
    console.log(`${outputs[i]} ${JSON.stringify(res[i].shape)}`);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
