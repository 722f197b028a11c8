/** `flexivit bench --workers W`: batch throughput through the worker pool, 1 worker vs W in one run. */
import { createPool } from '@flexivit/backend-node';
import { defineConfig, encoderFlops, initParams, toBigVision, type Variant, writeNpz } from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { Io } from '../io';
import { type BenchResult, reportRatios, sgemmGflops, summarise } from './bench';

export interface PoolBenchOptions {
  variant: Variant;
  weights?: string;
  resolution: number;
  sizes: number[];
  batch: number;
  workers: number;
  iterations: number;
  json: boolean;
  /** Extra soak: this many pool calls at the largest patch size, tensors and RSS at call 100 and at the end. */
  soak?: number;
}

export interface SoakFigures {
  calls: number;
  patchSize: number;
  tensorsAt100: number[];
  tensorsAtEnd: number[];
  rssMbAt100: number;
  rssMbAtEnd: number;
}

/** Many pool calls in a row: do worker tensor counts and process RSS stay flat? */
async function soak(
  weights: string | Uint8Array,
  opts: PoolBenchOptions,
  calls: number,
): Promise<SoakFigures> {
  const patchSize = Math.max(...opts.sizes);
  const pool = await createPool({
    weights,
    workers: opts.workers,
    loadOptions: { config: { resolution: [opts.resolution, opts.resolution] } },
  });
  const x = tf.randomUniform([1, opts.resolution, opts.resolution, 3], 0, 255) as tf.Tensor4D;
  let tensorsAt100: number[] = [];
  let rssMbAt100 = 0;
  try {
    let done = 0;
    const next = async (): Promise<void> => {
      while (done < calls) {
        done++;
        const logits = await pool.logits(x, { patchSize });
        logits.dispose();
        if (done === 100) {
          tensorsAt100 = (await pool.stats()).map((s) => s.numTensors);
          rssMbAt100 = process.memoryUsage().rss / 2 ** 20;
        }
      }
    };
    await Promise.all(Array.from({ length: opts.workers }, next));
    return {
      calls,
      patchSize,
      tensorsAt100,
      tensorsAtEnd: (await pool.stats()).map((s) => s.numTensors),
      rssMbAt100,
      rssMbAtEnd: process.memoryUsage().rss / 2 ** 20,
    };
  } finally {
    x.dispose();
    await pool.close();
  }
}

/** Random weights with a 1000-class head, as npz bytes the workers load from shared memory. */
function randomCheckpoint(variant: Variant, resolution: number): Uint8Array {
  const cfg = defineConfig({ variant, resolution: [resolution, resolution] });
  const host = initParams(cfg, 0);
  const head = { shape: [cfg.width, 1000], data: new Float32Array(cfg.width * 1000) };
  return writeNpz(
    toBigVision(host, cfg, {
      'head/kernel': head,
      'head/bias': { shape: [1000], data: new Float32Array(1000) },
    }),
  );
}

async function runPool(
  weights: string | Uint8Array,
  workers: number,
  opts: PoolBenchOptions,
): Promise<{ results: BenchResult[]; numTensors: number[] }> {
  const pool = await createPool({
    weights,
    workers,
    loadOptions: { config: { resolution: [opts.resolution, opts.resolution] } },
  });
  const results: BenchResult[] = [];
  try {
    const cfg = defineConfig({ variant: opts.variant, resolution: [opts.resolution, opts.resolution] });
    for (const p of opts.sizes) {
      const call = async () => {
        const x = tf.randomUniform([opts.batch, opts.resolution, opts.resolution, 3], 0, 255) as tf.Tensor4D;
        const s = performance.now();
        const logits = await pool.logits(x, { patchSize: p });
        const ms = performance.now() - s;
        tf.dispose([x, logits]);
        return ms;
      };
      await Promise.all(Array.from({ length: workers }, call)); // warm every worker at this size
      const t0 = performance.now();
      const latencies = (await Promise.all(Array.from({ length: opts.iterations * workers }, call))).flat();
      const seconds = (performance.now() - t0) / 1000;
      const numTensors = Math.max(...(await pool.stats()).map((s) => s.numTensors));
      results.push(summarise(p, opts.batch, { latencies, seconds }, encoderFlops(cfg, p) / 1e9, numTensors));
    }
    return { results, numTensors: (await pool.stats()).map((s) => s.numTensors) };
  } finally {
    await pool.close();
  }
}

export async function benchPool(opts: PoolBenchOptions, io: Io, backend: string): Promise<void> {
  const weights = opts.weights ?? randomCheckpoint(opts.variant, opts.resolution);
  const cfg = defineConfig({ variant: opts.variant });
  const tokens16 = (opts.resolution / 16) ** 2 + 1;
  const sgemm = await sgemmGflops(tokens16 * opts.batch, cfg.width, cfg.mlpDim);
  if (!opts.json) {
    io.out(
      `backend ${backend}, worker pool, FlexiViT-${opts.variant}, ${opts.resolution} px, batch ${opts.batch}`,
    );
    io.out(`sgemm (one core): ${sgemm.toFixed(1)} GFLOP/s`);
  }
  const one = await runPool(weights, 1, opts);
  const many = await runPool(weights, opts.workers, opts);
  const soaked = opts.soak ? await soak(weights, opts, opts.soak) : undefined;
  if (opts.json) {
    io.out(
      JSON.stringify({
        backend,
        workers: opts.workers,
        model: opts.variant,
        resolution: opts.resolution,
        batch: opts.batch,
        sgemmGflops: sgemm,
        results: many.results,
        oneWorker: one.results,
        scaling: many.results.map((r, i) => ({
          patchSize: r.patchSize,
          ratio: r.imgPerSec / one.results[i].imgPerSec,
        })),
      }),
    );
    return;
  }
  io.out(
    `patch  img/s (1 worker)  img/s (${opts.workers} workers)  scaling  GFLOP/s (${opts.workers})  median ms  p90 ms  peak RSS MB`,
  );
  many.results.forEach((r, i) => {
    const o = one.results[i];
    io.out(
      `${String(r.patchSize).padStart(5)}  ${o.imgPerSec.toFixed(2).padStart(16)}  ${r.imgPerSec.toFixed(2).padStart(17)}  ${(r.imgPerSec / o.imgPerSec).toFixed(2).padStart(6)}×  ${r.achievedGflops.toFixed(1).padStart(13)}  ${r.latencyMsMedian.toFixed(0).padStart(9)}  ${r.latencyMsP90.toFixed(0).padStart(6)}  ${r.peakRssMb.toFixed(0).padStart(11)}`,
    );
  });
  io.out(`worker tensors after the run: ${many.numTensors.join(', ')}`);
  if (soaked) {
    io.out(
      `soak: ${soaked.calls} calls at patch ${soaked.patchSize}: worker tensors ${soaked.tensorsAt100.join('/')} at call 100 → ${soaked.tensorsAtEnd.join('/')} at the end; RSS ${soaked.rssMbAt100.toFixed(0)} → ${soaked.rssMbAtEnd.toFixed(0)} MB`,
    );
  }
  reportRatios(many.results, io);
}
