/**
 * The README demo: the FlexiViT we trained on Fashion-MNIST (shipped in models/fashion-flexivit),
 * one set of weights run at every patch size on test images shipped beside it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { load } from '@flexivit/classifier';
import { readCheckpoint } from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';
import { listFlag } from '../args';
import type { Io } from '../io';
import { resolveWeights, SHIPPED } from '../weights';
import { parityDemo } from './demo';

export async function demo(flags: Record<string, string | boolean | undefined>, io: Io): Promise<void> {
  if (flags.parity || !existsSync(SHIPPED['fashion-flexivit'])) return parityDemo(flags, io);
  const { path, meta } = await resolveWeights('fashion-flexivit');
  const resolution = meta.resolution ?? 48;
  const sizes = listFlag(flags['patch-sizes'] as string | undefined, 'patch-sizes') ??
    meta.patchSizes ?? [4, 6, 8, 12, 16, 24];
  const runs = Math.max(1, Number(flags.runs ?? 5));
  const slice = await readCheckpoint(join(dirname(path), 'test-slice.npz'));
  const images = slice.get('images')!;
  const labels = slice.get('labels')!.data;
  const n = images.shape[0];
  const model = await load(path, { labels: meta.labels, config: { resolution: [resolution, resolution] } });
  // Greyscale 28×28 → RGB pixels 0..255; `encode` resizes to the model's 48 px and normalises.
  const pixels = tf.tidy(() =>
    tf.tile(tf.reshape(tf.tensor(images.data, [n, 28, 28], 'float32'), [n, 28, 28, 1]), [1, 1, 1, 3]),
  ) as tf.Tensor4D;
  const cfg = model.backbone.config;
  try {
    io.out('FlexiViT demo: one set of weights, every patch size');
    io.out(
      `  fashion-flexivit (${path}): width ${cfg.width}, depth ${cfg.depth}, ${cfg.heads} heads, trained here on Fashion-MNIST at ${resolution} px with a random patch size per step`,
    );
    const show = 8;
    const first = tf.tidy(() => tf.slice(pixels, [0, 0, 0, 0], [show, 28, 28, 3])) as tf.Tensor4D;
    const mid = sizes[Math.floor(sizes.length / 2)];
    io.out(`\n  ${show} test images at patch ${mid}:`);
    const top = await model.classify(
      Array.from(
        { length: show },
        (_, i) =>
          tf.tidy(() =>
            tf.reshape(tf.slice(first, [i, 0, 0, 0], [1, 28, 28, 3]), [28, 28, 3]),
          ) as tf.Tensor3D,
      ),
      { patchSize: mid, topK: 1, resolution },
    );
    top.forEach(([p], i) => {
      const truth = model.labels[labels[i]];
      io.out(
        `    #${i}  ${truth.padEnd(12)} → ${p.label.padEnd(12)} ${p.score.toFixed(2)}  ${p.label === truth ? 'ok' : 'wrong'}`,
      );
    });
    first.dispose();
    io.out(
      `\n  patch  tokens  accuracy (${n} test images)  latency ms (1 image, median of ${runs})  img/s (batch ${n})`,
    );
    const one = tf.tidy(() => tf.slice(pixels, [0, 0, 0, 0], [1, 28, 28, 3])) as tf.Tensor4D;
    for (const p of sizes) {
      await model.classify(one, { patchSize: p, topK: 1, resolution }); // warm: resized kernel cached per size
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        await model.classify(one, { patchSize: p, topK: 1, resolution });
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const t0 = performance.now();
      const logits = await model.logits(pixels, { patchSize: p, resolution });
      const pred = tf.tidy(() => tf.argMax(logits, 1));
      const predicted = await pred.data();
      const seconds = (performance.now() - t0) / 1000;
      tf.dispose([logits, pred]);
      let correct = 0;
      for (let i = 0; i < n; i++) if (predicted[i] === labels[i]) correct++;
      const tokens = (resolution / p) ** 2;
      io.out(
        `  ${String(p).padStart(5)}  ${String(tokens).padStart(6)}  ${`${((100 * correct) / n).toFixed(1)}%`.padStart(24)}  ${times[Math.floor(times.length / 2)].toFixed(1).padStart(38)}  ${(n / seconds).toFixed(0).padStart(18)}`,
      );
    }
    one.dispose();
  } finally {
    pixels.dispose();
    model.dispose();
  }
}
