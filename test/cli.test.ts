/** The CLI end to end, as a user runs it: a real process, JSON on stdout, exit codes. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, EXPECTED, maxAbsDiff, PARITY_IMAGE, PARITY_NPZ } from './helpers';

const run = promisify(execFile);

async function flexivit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, FLEXIVIT_BACKEND: 'wasm' },
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
