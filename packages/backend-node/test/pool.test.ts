/**
 * The worker pool against in-process use of the same checkpoint. The pool runs the built worker
 * (dist/pool/worker.js), so build the package first (`pnpm test` and nx do). Sized for the default
 * wasm backend (about 20 s on 2 cores); FLEXIVIT_BACKEND=cpu passes too but takes minutes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type FlexiViTClassifier, load } from '@flexivit/classifier';
import { CheckpointError, ConfigError, FlexiViTError, ImageInputError } from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool, PoolError, useBackend } from '../src/index';
import { poolWorkers } from '../src/pool/pool';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/parity/', import.meta.url));
const NPZ = `${FIXTURES}flexivit-tiny.npz`;
const IMAGE = `${FIXTURES}image.png`;
/** Two images at patch 8 (900 tokens each): long enough to still be running a moment later. */
const SLOW: [string[], { patchSize: number }] = [[IMAGE, IMAGE], { patchSize: 8 }];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

let model: FlexiViTClassifier;
let pool: Pool;

beforeAll(async () => {
  await useBackend();
  [model, pool] = await Promise.all([load(NPZ), createPool({ weights: NPZ, workers: 2 })]);
});

afterAll(async () => {
  model?.dispose();
  await pool?.close();
});

describe('pool results equal in-process results', { timeout: 60_000 }, () => {
  it.each([16, 30])('patch %i: classify top-5 and logits within 1e-5', async (patchSize) => {
    const bytes = new Uint8Array(readFileSync(IMAGE));
    const [got, want] = await Promise.all([
      pool.classify([IMAGE, bytes], { patchSize }),
      model.classify([IMAGE, IMAGE], { patchSize }),
    ]);
    expect(got).toHaveLength(2);
    for (let b = 0; b < 2; b++) {
      expect(got[b].map((c) => c.label)).toEqual(want[b].map((c) => c.label));
      expect(
        maxAbsDiff(
          got[b].map((c) => c.score),
          want[b].map((c) => c.score),
        ),
      ).toBeLessThan(1e-5);
    }
    const single = await pool.classify(IMAGE, { patchSize, topK: 3 });
    expect(single.map((c) => c.label)).toEqual(want[0].slice(0, 3).map((c) => c.label));

    const [l1, l2] = await Promise.all([
      pool.logits(IMAGE, { patchSize }),
      model.logits(IMAGE, { patchSize }),
    ]);
    expect(l1.shape).toEqual(l2.shape);
    expect(maxAbsDiff(await l1.data(), await l2.data())).toBeLessThan(1e-5);
    tf.dispose([l1, l2]);
  });

  it('encode: features rebuilt as tensors on this thread', async () => {
    const want = await model.backbone.encode([IMAGE], { patchSize: 24 });
    const before = tf.memory().numTensors;
    const got = await pool.encode([IMAGE], { patchSize: 24 });
    expect(tf.memory().numTensors).toBe(before + 3); // tokens, prefix, pooled
    expect(got.grid).toEqual([10, 10]);
    expect(got.patchSize).toEqual([24, 24]);
    expect(got.resolution).toEqual([240, 240]);
    expect(got.tokens.shape).toEqual([1, 100, 64]);
    expect(got.prefix.shape).toEqual([1, 1, 64]);
    expect(maxAbsDiff(await got.tokens.data(), await want.tokens.data())).toBeLessThan(1e-5);
    expect(maxAbsDiff(await got.pooled!.data(), await want.pooled!.data())).toBeLessThan(1e-5);
    got.dispose();
    expect(tf.memory().numTensors).toBe(before);
    want.dispose();
  });

  it('tensor inputs are copied (the caller keeps them); bytes are moved unless transfer: false', async () => {
    const pixels = tf.tidy(() => tf.round(tf.randomUniform([2, 60, 60, 3], 0, 255))) as tf.Tensor4D;
    const opts = { patchSize: 16, resolution: 64 };
    const [got, want] = await Promise.all([pool.logits(pixels, opts), model.logits(pixels, opts)]);
    expect(maxAbsDiff(await got.data(), await want.data())).toBeLessThan(1e-5);
    expect((await pixels.data()).length).toBe(2 * 60 * 60 * 3);
    tf.dispose([pixels, got, want]);

    const moved = new Uint8Array(readFileSync(IMAGE));
    const kept = new Uint8Array(readFileSync(IMAGE));
    await Promise.all([pool.classify(moved), pool.classify(kept, { transfer: false })]);
    expect(moved.byteLength).toBe(0); // detached: it now belongs to the worker
    expect(kept.byteLength).toBeGreaterThan(0);
  });

  it('8 concurrent calls keep both workers busy', async () => {
    const before = await pool.stats();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => pool.classify(IMAGE, { patchSize: i % 2 ? 30 : 48 })),
    );
    expect(results.every((r) => r.length === 5)).toBe(true);
    const after = await pool.stats();
    expect(after).toHaveLength(2);
    const done = after.map((s, i) => s.jobsDone - before[i].jobsDone);
    expect(done.every((d) => d > 0)).toBe(true);
    expect(done[0] + done[1]).toBe(8);
    for (const s of after) {
      expect(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).toContain(s.backend);
      expect(s.numTensors).toBeGreaterThan(0);
      expect(s.rssBytes).toBeGreaterThan(0);
    }
  });

  it('errors from a worker keep their class, code and message', async () => {
    const want = await rejection(model.classify(IMAGE, { patchSize: 7 }));
    const got = await rejection(pool.classify(IMAGE, { patchSize: 7 }));
    expect(got).toBeInstanceOf(ConfigError);
    expect(got).toBeInstanceOf(FlexiViTError);
    expect(got).toMatchObject({ name: 'ConfigError', code: 'PATCH_SIZE_INVALID', message: want.message });

    const missing = await rejection(pool.classify(`${FIXTURES}no-such-image.png`));
    expect(missing).toBeInstanceOf(ImageInputError);
    expect(missing).toMatchObject({ code: 'IMAGE_INVALID' });
    expect(missing.message).toContain('no-such-image.png');

    const unsupported = await rejection(pool.classify(42 as unknown as string));
    expect(unsupported).toMatchObject({ name: 'ImageInputError', code: 'IMAGE_UNSUPPORTED_INPUT' });

    const badWeights = await rejection(createPool({ weights: `${FIXTURES}missing.npz`, workers: 1 }));
    expect(badWeights).toBeInstanceOf(CheckpointError);
    expect(badWeights).toMatchObject({ code: 'CHECKPOINT_NOT_FOUND' });

    // The pool is still fine afterwards.
    expect(await pool.classify(IMAGE, { patchSize: 48 })).toHaveLength(5);
  });
});

describe('flow control on one worker', { timeout: 60_000 }, () => {
  let one: Pool;
  beforeAll(async () => {
    one = await createPool({ weights: NPZ, workers: 1, maxQueue: 1 });
  });
  afterAll(() => one?.destroy());

  it('backpressure: with maxQueue 1 the third call waits for room until the first finishes', async () => {
    const order: string[] = [];
    const p1 = one.classify(IMAGE, { patchSize: 48 }).then(() => {
      order.push('p1');
      // The worker moved on to p2 and p3 got its place in the queue.
      order.push(`after p1: running ${one.running}, pending ${one.pending}, blocked ${one.blocked}`);
    });
    const p2 = one.classify(IMAGE, { patchSize: 30 }).then(() => order.push('p2'));
    const p3 = one.classify(IMAGE, { patchSize: 48 }).then(() => order.push('p3'));
    expect([one.running, one.pending, one.blocked]).toEqual([1, 1, 1]);
    await Promise.all([p1, p2, p3]);
    expect(order).toEqual(['p1', 'after p1: running 1, pending 1, blocked 0', 'p2', 'p3']);
    await one.onIdle();
    expect([one.running, one.pending, one.blocked]).toEqual([0, 0, 0]);
  });

  it('abort: a waiting or queued call is removed, a running one rejects at once', async () => {
    const running = new AbortController();
    const queued = new AbortController();
    const waiting = new AbortController();
    const p1 = one.classify(SLOW[0], { ...SLOW[1], signal: running.signal });
    const p2 = one.classify(IMAGE, { signal: queued.signal });
    const p3 = one.classify(IMAGE, { signal: waiting.signal });
    const p4 = one.classify(IMAGE, { patchSize: 48 });
    expect([one.running, one.pending, one.blocked]).toEqual([1, 1, 2]);
    waiting.abort(new Error('not needed'));
    const e3 = await rejection(p3);
    expect(e3.name).toBe('AbortError');
    expect((e3.cause as Error).message).toBe('not needed');
    expect([one.running, one.pending, one.blocked]).toEqual([1, 1, 1]);
    queued.abort();
    expect((await rejection(p2)).name).toBe('AbortError');
    // p4 moved up into the freed queue place.
    expect([one.running, one.pending, one.blocked]).toEqual([1, 1, 0]);
    running.abort();
    expect((await rejection(p1)).name).toBe('AbortError');
    expect(one.running).toBe(1); // the worker still finishes it; the result is dropped
    expect(await p4).toHaveLength(5);
    await one.onIdle();
    expect((await rejection(one.classify(IMAGE, { signal: AbortSignal.abort() }))).name).toBe('AbortError');
    expect([one.running, one.pending, one.blocked]).toEqual([0, 0, 0]);
  });

  it('a crashed worker rejects its job, is replaced, and the queued job still runs', async () => {
    const [oldWorker] = await one.stats();
    const p1 = one.classify(...SLOW);
    const p2 = one.classify(IMAGE, { patchSize: 48 });
    await poolWorkers(one)[0]!.terminate(); // from the pool's point of view: the thread died
    const err = await rejection(p1);
    expect(err).toBeInstanceOf(PoolError);
    expect(err).toMatchObject({ code: 'WORKER_DIED' });
    expect(err.message).toMatch(/died while running this job/);
    expect(await p2).toHaveLength(5);
    const [newWorker] = await one.stats();
    expect(newWorker.threadId).not.toBe(oldWorker.threadId);
    expect(newWorker.jobsDone).toBe(1);
  });

  it('close() finishes accepted calls, then every call rejects', async () => {
    const accepted = [one.classify(IMAGE, { patchSize: 48 }), one.classify(IMAGE, { patchSize: 30 })];
    const closing = one.close();
    expect(one.closed).toBe(true);
    const late = await rejection(one.classify(IMAGE));
    expect(late).toBeInstanceOf(PoolError);
    expect(late).toMatchObject({ code: 'POOL_CLOSED' });
    expect(late.message).toMatch(/closed/);
    for (const r of await Promise.all(accepted)) expect(r).toHaveLength(5);
    await closing;
    expect(await one.stats()).toEqual([]);
    expect((await rejection(one.logits(IMAGE))).message).toMatch(/closed/);
  });

  it('destroy() rejects unfinished calls at once', async () => {
    const p = await createPool({ weights: readFileSync(NPZ), workers: 1 }); // weights as bytes
    // Handlers go on before destroy(): the wasm backend turns unhandled rejections into crashes.
    const calls = [p.classify(...SLOW), p.classify(IMAGE), p.classify(IMAGE)].map(rejection);
    await p.destroy();
    for (const c of calls) expect(await c).toMatchObject({ code: 'POOL_DESTROYED' });
    expect(await rejection(p.classify(IMAGE))).toMatchObject({ code: 'POOL_CLOSED' });
  });
});

describe('soak', () => {
  it('1,000 calls: no tensor growth in the workers, bounded RSS', async () => {
    const calls = 1000;
    const wave = 100;
    let n = 0;
    const runWave = async () => {
      const ps = Array.from({ length: wave }, () => pool.classify(IMAGE, { patchSize: n++ % 2 ? 30 : 48 }));
      for (const r of await Promise.all(ps)) expect(r).toHaveLength(5);
    };
    const t0 = performance.now();
    await runWave();
    await pool.onIdle();
    const at100 = await pool.stats();
    const rss100 = process.memoryUsage().rss;
    while (n < calls) await runWave();
    await pool.onIdle();
    const at1000 = await pool.stats();
    const rss1000 = process.memoryUsage().rss;
    const seconds = (performance.now() - t0) / 1000;
    const mb = (b: number) => (b / 2 ** 20).toFixed(1);
    console.info(
      `pool soak: ${calls} calls in ${seconds.toFixed(1)} s on ${at1000.length} ${at1000[0].backend} workers; ` +
        `numTensors per worker at call 100 [${at100.map((s) => s.numTensors)}], at call 1000 ` +
        `[${at1000.map((s) => s.numTensors)}]; jobsDone [${at1000.map((s) => s.jobsDone)}]; ` +
        `RSS ${mb(rss100)} MB → ${mb(rss1000)} MB (${mb(rss1000 - rss100)} MB)`,
    );
    expect(at1000.map((s) => s.threadId)).toEqual(at100.map((s) => s.threadId));
    expect(at1000.map((s) => s.numTensors)).toEqual(at100.map((s) => s.numTensors));
    expect(rss1000 - rss100).toBeLessThan(64 * 2 ** 20);
  }, 300_000);
});
