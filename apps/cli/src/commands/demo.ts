import { fileURLToPath } from 'node:url';
import { load } from '@flexivit/classifier';
import { listFlag } from '../args';
import type { Io } from '../io';

/** The parity fixture: a random-weight FlexiViT in big_vision layout and a 240 px image. */
const FIXTURE = new URL('../../../test/fixtures/parity/', import.meta.url);

export const DEMO_USAGE = 'flexivit demo [--patch-sizes 4,6,8,12,16,24] [--runs N] [--parity]';

/**
 * One model, every patch size: classify the same image at each size and show that cost follows
 * the token count while the weights stay the same.
 */
export async function parityDemo(flags: Record<string, string | boolean | undefined>, io: Io): Promise<void> {
  const sizes = listFlag(flags['patch-sizes'] as string | undefined, 'patch-sizes') ?? [
    8, 10, 12, 15, 16, 20, 24, 30, 40, 48,
  ];
  const runs = Math.max(1, Number(flags.runs ?? 3));
  const weights = fileURLToPath(new URL('flexivit-tiny.npz', FIXTURE));
  const image = fileURLToPath(new URL('image.png', FIXTURE));
  const model = await load(weights);
  const cfg = model.backbone.config;
  io.out(`FlexiViT demo: ${weights}`);
  io.out(
    `  width ${cfg.width}, depth ${cfg.depth}, heads ${cfg.heads}, stored kernel ${cfg.kernelSize.join('x')}, pos-emb ${cfg.posembGrid.join('x')}, ${model.labels.length} classes (random weights: labels are class_i)`,
  );
  io.out(`  image ${image} at ${cfg.resolution.join('x')} px\n`);
  io.out('  patch  tokens  top class    score   latency (median of ' + runs + ')');
  try {
    for (const p of sizes) {
      await model.classify(image, { patchSize: p, topK: 1 }); // warm: PI-resize + pos-emb cached per size
      const times: number[] = [];
      let top = { label: '', score: 0 };
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        [top] = await model.classify(image, { patchSize: p, topK: 1 });
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const tokens = (cfg.resolution[0] / p) * (cfg.resolution[1] / p);
      io.out(
        `  ${String(p).padStart(5)}  ${String(tokens).padStart(6)}  ${top.label.padEnd(11)}  ${top.score.toFixed(3)}   ${times[Math.floor(times.length / 2)].toFixed(1)} ms`,
      );
    }
  } finally {
    model.dispose();
  }
}
