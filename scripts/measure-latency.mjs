#!/usr/bin/env node
// Throughput of each study model at each patch size, measured back to back on an otherwise idle
// machine (the evaluations ran while other runs trained): → docs/results/latency.json.
//   node scripts/measure-latency.mjs runs docs/results
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '@flexivit/backend-node';
import { load } from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';

const [runs = 'runs', out = 'docs/results'] = process.argv.slice(2);
await useBackend();
const sizes = [4, 6, 8, 12, 16, 24];
const batch = 250;
const result = {};
for (const run of ['fashion-flexivit', 'fashion-vit8', 'fashion-vit16']) {
  const model = await load(join(runs, run, 'model.npz'), { config: { resolution: [48, 48] } });
  const x = tf.randomUniform([batch, 48, 48, 3], -1, 1);
  result[run] = {};
  for (const p of sizes) {
    const once = async () => {
      const f = model.forward(x, { patchSize: p });
      await f.pooled.data();
      f.dispose();
    };
    await once();
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) await once();
    result[run][p] = { msPerImage: (performance.now() - t0) / 3 / batch };
  }
  x.dispose();
  model.dispose();
  console.log(run, JSON.stringify(result[run]));
}
writeFileSync(
  join(out, 'latency.json'),
  `${JSON.stringify({ batch, backend: tf.getBackend(), result }, null, 1)}\n`,
);
