/** The CLI end to end, as a user runs it: a real process, JSON on stdout, exit codes. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, EXPECTED, maxAbsDiff, PARITY_IMAGE, PARITY_NPZ } from './helpers';

const EXAMPLE = new URL('../apps/examples/classify/index.mjs', import.meta.url).pathname;
const EXAMPLE_IMAGE = new URL('../apps/examples/classify/ankle-boot.png', import.meta.url).pathname;
const FASHION_LABELS = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

const run = promisify(execFile);

function flexivit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return flexivitEnv({}, ...args);
}

async function flexivitEnv(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, FLEXIVIT_BACKEND: 'wasm', ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('flexivit classify', () => {
  it.each(Object.keys(EXPECTED.logits).map(Number))(
    '--patch-size %i --json --logits matches the reference',
    async (ps) => {
      const r = await flexivit(
        'classify',
        PARITY_IMAGE,
        '--weights',
        PARITY_NPZ,
        '--patch-size',
        String(ps),
        '--json',
        '--logits',
        '--top-k',
        '3',
      );
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.patchSize).toBe(ps);
      expect(out.resolution).toBe(240);
      expect(maxAbsDiff(out.logits, EXPECTED.logits[ps])).toBeLessThan(1e-4);
      // Top-3 are the three largest reference logits, named class_i, with softmax scores.
      const ref = EXPECTED.logits[ps];
      const order = ref
        .map((v, i) => [v, i])
        .sort((a, b) => b[0] - a[0])
        .slice(0, 3)
        .map(([, i]) => `class_${i}`);
      expect(out.top.map((t: { label: string }) => t.label)).toEqual(order);
      const z = ref.reduce((s, v) => s + Math.exp(v), 0);
      expect(out.top[0].score).toBeCloseTo(Math.exp(Math.max(...ref)) / z, 4);
    },
  );

  it('prints a readable table without --json', async () => {
    const r = await flexivit('classify', PARITY_IMAGE, '--weights', PARITY_NPZ, '--patch-size', '16');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/patch 16x16 \(225 tokens\)/);
    expect(r.stderr).toMatch(/backend: wasm/);
  });

  it('gives clear errors and exit codes for bad input', async () => {
    const bad = await flexivit(
      'classify',
      PARITY_IMAGE,
      '--weights',
      PARITY_NPZ,
      '--patch-size',
      '7',
      '--json',
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/PATCH_SIZE_INVALID.*does not divide the input 240x240/);
    const missing = await flexivit(
      'classify',
      PARITY_IMAGE,
      '--weights',
      '/nonexistent/w.npz',
      '--patch-size',
      '16',
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/CHECKPOINT_NOT_FOUND/);
    const notImage = await flexivit('classify', PARITY_NPZ, '--weights', PARITY_NPZ, '--patch-size', '16');
    expect(notImage.code).toBe(1);
    expect(notImage.stderr).toMatch(/IMAGE_INVALID/);
    const usage = await flexivit('classify', PARITY_IMAGE);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--weights/);
    const flag = await flexivit('classify', PARITY_IMAGE, '--weights', PARITY_NPZ, '--patch-size', 'abc');
    expect(flag.code).toBe(2);
  });
});

describe('flexivit bench, budget, train and eval', () => {
  it('bench --json prints one object with the documented fields; cost follows FLOPs', async () => {
    const r = await flexivit(
      'bench',
      '--model',
      'Ti',
      '--resolution',
      '48',
      '--patch-sizes',
      '8,16',
      '--iterations',
      '2',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.backend).toBe('wasm');
    expect(out.workers).toBe(1);
    expect(out.sgemmGflops).toBeGreaterThan(0);
    expect(out.results.map((x: { patchSize: number }) => x.patchSize)).toEqual([8, 16]);
    for (const x of out.results) {
      for (const k of ['imgPerSec', 'latencyMsMedian', 'latencyMsP90', 'gflopsPerImage', 'achievedGflops'])
        expect(x[k]).toBeGreaterThan(0);
      expect(x.achievedGflops).toBeCloseTo(x.imgPerSec * x.gflopsPerImage, 6);
    }
    // Ti at 48 px: 36 vs 9 tokens (+ cls); the FLOP count is analytic.
    expect(out.results[0].gflopsPerImage / out.results[1].gflopsPerImage).toBeGreaterThan(3.5);
  });

  it('bench --workers 2 measures one and two workers through the pool', async () => {
    const r = await flexivit(
      'bench',
      '--model',
      'Ti',
      '--resolution',
      '48',
      '--patch-sizes',
      '16',
      '--iterations',
      '2',
      '--workers',
      '2',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.workers).toBe(2);
    expect(out.oneWorker).toHaveLength(1);
    expect(out.scaling[0].ratio).toBeGreaterThan(0);
  });

  it('classify --budget-ms picks a patch size from a measured, cached profile', async () => {
    const cache = mkdtempSync(`${tmpdir()}/flexivit-cache-`);
    const env = { FLEXIVIT_CACHE_DIR: cache };
    const generous = await flexivitEnv(
      env,
      'classify',
      PARITY_IMAGE,
      '--weights',
      PARITY_NPZ,
      '--budget-ms',
      '100000',
      '--json',
    );
    expect(generous.code, generous.stderr).toBe(0);
    expect(JSON.parse(generous.stdout).patchSize).toBe(8); // everything fits: the most tokens
    expect(existsSync(`${cache}/latency-profiles.json`)).toBe(true);
    const tiny = await flexivitEnv(
      env,
      'classify',
      PARITY_IMAGE,
      '--weights',
      PARITY_NPZ,
      '--budget-ms',
      '0.001',
      '--json',
    );
    const out = JSON.parse(tiny.stdout);
    expect(out.withinBudget).toBe(false);
    expect(out.patchSize).toBeGreaterThanOrEqual(24); // nothing fits: the fastest
  });

  it.skipIf(!existsSync('/usr/share/datasets/fashion-mnist'))(
    'train --config smoke then eval --json on the test split',
    async () => {
      const out = mkdtempSync(`${tmpdir()}/flexivit-run-`);
      const t = await flexivit('train', '--config', 'smoke', '--steps', '40', '--out', out);
      expect(t.code, t.stderr).toBe(0);
      expect(JSON.parse(t.stdout).step).toBe(40);
      for (const f of ['model.npz', 'state.npz', 'run.json', 'web/model.json'])
        expect(existsSync(`${out}/${f}`), f).toBe(true);
      const e = await flexivit(
        'eval',
        '--weights',
        `${out}/model.npz`,
        '--patch-sizes',
        '4,12',
        '--limit',
        '500',
        '--json',
      );
      expect(e.code, e.stderr).toBe(0);
      const res = JSON.parse(e.stdout);
      expect(res.resolution).toBe(24); // from run.json beside the weights
      expect(res.results.map((r: { patchSize: number; count: number }) => [r.patchSize, r.count])).toEqual([
        [4, 500],
        [12, 500],
      ]);
      for (const r of res.results) expect(r.accuracy).toBeGreaterThan(0.2); // 40 steps: well above chance (10%)
    },
  );
});

describe('the shipped model', () => {
  it('--weights fashion-flexivit works for classify, with its labels and 48 px input', async () => {
    const r = await flexivit(
      'classify',
      EXAMPLE_IMAGE,
      '--weights',
      'fashion-flexivit',
      '--patch-size',
      '8',
      '--json',
      '--top-k',
      '10',
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.resolution).toBe(48);
    expect(out.top.map((t: { label: string }) => t.label).sort()).toEqual([...FASHION_LABELS].sort());
    expect(out.top.reduce((s: number, t: { score: number }) => s + t.score, 0)).toBeCloseTo(1, 4);
  });

  it.skipIf(!existsSync('/usr/share/datasets/fashion-mnist'))(
    'is accurate at every patch size it was trained for (1,000 test images)',
    async () => {
      const r = await flexivit('eval', '--weights', 'fashion-flexivit', '--limit', '1000', '--json');
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.results.map((x: { patchSize: number }) => x.patchSize)).toEqual([4, 6, 8, 12, 16, 24]);
      // Chance is 10%; a fixed-patch ViT of the same size collapses below 45% away from its own size.
      for (const x of out.results) expect(x.accuracy, `patch ${x.patchSize}`).toBeGreaterThan(0.7);
    },
  );

  it('the example app classifies its image at four patch sizes', async () => {
    const { stdout } = await run(process.execPath, [EXAMPLE], {
      env: { ...process.env, FLEXIVIT_BACKEND: 'wasm' },
    });
    const lines = stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('patch'));
    expect(lines.map((l) => Number(/patch\s+(\d+)/.exec(l)![1]))).toEqual([4, 8, 12, 24]);
    for (const l of lines) expect(FASHION_LABELS.some((label) => l.includes(label))).toBe(true);
  });
});
