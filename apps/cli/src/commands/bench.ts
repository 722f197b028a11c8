/**
 * `flexivit bench`: throughput and latency per patch size, the FLOPs they imply, and, in the same
 * run, the backend's bare sgemm speed as the ceiling — so ratios hold on a noisy machine.
 */
import { createFlexiViT, encoderFlops, type FlexiViT, load, VARIANTS, type Variant } from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';
import { intFlag, listFlag, UsageError } from '../args';
import type { Io } from '../io';

export const BENCH_USAGE = `flexivit bench --model S|B|L|Ti [--weights FILE] [--resolution 240] [--patch-sizes 8,16,30,48]
                [--batch N] [--workers W] [--iterations K] [--soak CALLS] [--json]`;

export interface BenchResult {
  patchSize: number;
  imgPerSec: number;
  latencyMsMedian: number;
  latencyMsP90: number;
  gflopsPerImage: number;
  achievedGflops: number;
  peakRssMb: number;
  numTensors: number;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Plain 2-D sgemm at the model's biggest dense shape: the speed the backend can reach. */
export async function sgemmGflops(m: number, k: number, n: number, seconds = 1.5): Promise<number> {
  const a = tf.randomNormal([m, k]) as tf.Tensor2D;
  const b = tf.randomNormal([k, n]) as tf.Tensor2D;
  const once = async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  };
  await once();
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || runs < 3) {
    await once();
    runs++;
  }
  const dt = (performance.now() - t0) / 1000;
  tf.dispose([a, b]);
  return (2 * m * k * n * runs) / dt / 1e9;
}

/** Time `iterations` batches after one warm-up batch (which fills the per-size caches). */
export async function benchInProcess(
  model: FlexiViT,
  patchSize: number,
  batch: number,
  iterations: number,
): Promise<{ latencies: number[]; seconds: number }> {
  const [h, w] = model.config.resolution;
  const x = tf.randomUniform([batch, h, w, model.config.channels], -1, 1) as tf.Tensor4D;
  const step = async () => {
    const f = model.forward(x, { patchSize });
    await (f.pooled ?? f.tokens).data();
    f.dispose();
  };
  await step();
  const latencies: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    const s = performance.now();
    await step();
    latencies.push(performance.now() - s);
  }
  x.dispose();
  return { latencies, seconds: (performance.now() - t0) / 1000 };
}

export function summarise(
  patchSize: number,
  batch: number,
  run: { latencies: number[]; seconds: number },
  gflopsPerImage: number,
  numTensors: number,
): BenchResult {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  const imgPerSec = (batch * run.latencies.length) / run.seconds;
  return {
    patchSize,
    imgPerSec,
    latencyMsMedian: quantile(sorted, 0.5),
    latencyMsP90: quantile(sorted, 0.9),
    gflopsPerImage,
    achievedGflops: imgPerSec * gflopsPerImage,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    numTensors,
  };
}

export async function bench(
  flags: Record<string, string | boolean | undefined>,
  io: Io,
  backend: string,
): Promise<void> {
  const variant = (flags.model as string | undefined) ?? 'B';
  if (!(variant in VARIANTS))
    throw new UsageError(`--model must be one of ${Object.keys(VARIANTS).join(', ')}, got "${variant}".`);
  const resolution = intFlag(flags.resolution as string | undefined, 'resolution', 240)!;
  const sizes = listFlag(flags['patch-sizes'] as string | undefined, 'patch-sizes') ?? [8, 16, 30, 48];
  const batch = intFlag(flags.batch as string | undefined, 'batch', 1)!;
  const workers = intFlag(flags.workers as string | undefined, 'workers', 1)!;
  const iterations = intFlag(flags.iterations as string | undefined, 'iterations', 3)!;
  for (const p of sizes) {
    if (resolution % p !== 0)
      throw new UsageError(`--patch-sizes: ${p} does not divide --resolution ${resolution}.`);
  }
  if (workers > 1) {
    const { benchPool } = await import('./bench-pool');
    return benchPool(
      {
        variant: variant as Variant,
        weights: flags.weights as string | undefined,
        resolution,
        sizes,
        batch,
        workers,
        iterations,
        json: !!flags.json,
        soak: intFlag(flags.soak as string | undefined, 'soak'),
      },
      io,
      backend,
    );
  }
  const model =
    typeof flags.weights === 'string'
      ? await load(flags.weights, { config: { resolution: [resolution, resolution] } })
      : createFlexiViT({ variant: variant as Variant, resolution: [resolution, resolution] });
  const cfg = model.config;
  const tokens16 = (resolution / 16) ** 2 + 1;
  const sgemm = await sgemmGflops(tokens16 * batch, cfg.width, cfg.mlpDim);
  if (!flags.json) {
    io.out(
      `backend ${backend}, 1 worker (in process), ${typeof flags.weights === 'string' ? flags.weights : `FlexiViT-${variant} random weights`}, ${resolution} px, batch ${batch}`,
    );
    io.out(
      `sgemm [${tokens16 * batch}x${cfg.width}]·[${cfg.width}x${cfg.mlpDim}]: ${sgemm.toFixed(1)} GFLOP/s (ceiling)`,
    );
    io.out('patch  img/s   median ms   p90 ms   GFLOP/img  GFLOP/s  %sgemm  peak RSS MB  tensors');
  }
  const results: BenchResult[] = [];
  try {
    for (const p of sizes) {
      const run = await benchInProcess(model, p, batch, iterations);
      const r = summarise(p, batch, run, encoderFlops(cfg, p, resolution) / 1e9, tf.memory().numTensors);
      results.push(r);
      if (!flags.json) {
        io.out(
          `${String(p).padStart(5)}  ${r.imgPerSec.toFixed(2).padStart(6)}  ${r.latencyMsMedian.toFixed(0).padStart(9)}  ${r.latencyMsP90.toFixed(0).padStart(7)}  ${r.gflopsPerImage.toFixed(2).padStart(9)}  ${r.achievedGflops.toFixed(1).padStart(7)}  ${((100 * r.achievedGflops) / sgemm).toFixed(0).padStart(5)}%  ${r.peakRssMb.toFixed(0).padStart(11)}  ${r.numTensors}`,
        );
      }
    }
  } finally {
    model.dispose();
  }
  if (flags.json)
    io.out(
      JSON.stringify({ backend, workers: 1, model: variant, resolution, batch, sgemmGflops: sgemm, results }),
    );
  else reportRatios(results, io);
}

/** The "cost follows tokens" check: img/s ratio between the largest and smallest patch vs FLOP ratio. */
export function reportRatios(results: BenchResult[], io: Io): void {
  if (results.length < 2) return;
  const small = results.reduce((a, b) => (b.patchSize < a.patchSize ? b : a));
  const big = results.reduce((a, b) => (b.patchSize > a.patchSize ? b : a));
  const speed = big.imgPerSec / small.imgPerSec;
  const flops = small.gflopsPerImage / big.gflopsPerImage;
  io.out(
    `cost follows tokens: img/s at ${big.patchSize} ÷ at ${small.patchSize} = ${speed.toFixed(1)}×, FLOP ratio ${flops.toFixed(1)}× → ${((100 * speed) / flops).toFixed(0)}%`,
  );
}
