// Classify one image with the shipped Fashion-MNIST FlexiViT at several patch sizes:
//   node apps/examples/classify/index.mjs [IMAGE] [WEIGHTS]
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describeBackend, useBackend } from '@flexivit/backend-node';
import { load } from '@flexivit/classifier';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const image = process.argv[2] ?? here('./ankle-boot.png');
const weights = process.argv[3] ?? here('../../../models/fashion-flexivit/model.npz');
const meta = JSON.parse(await readFile(here('../../../models/fashion-flexivit/meta.json'), 'utf8'));

console.log(describeBackend(await useBackend()));
const model = await load(weights, {
  labels: meta.labels,
  config: { resolution: [meta.resolution, meta.resolution] },
});
for (const patchSize of [4, 8, 12, 24]) {
  const t0 = performance.now();
  const [top] = await model.classify(image, { patchSize, topK: 1 });
  const ms = performance.now() - t0;
  console.log(
    `patch ${String(patchSize).padStart(2)}: ${top.label} (${top.score.toFixed(2)}) in ${ms.toFixed(1)} ms`,
  );
}
model.dispose();
