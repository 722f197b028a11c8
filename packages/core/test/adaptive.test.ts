import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseOperatingPoint, type LatencyProfile, type ProfileStore } from '../src/adaptive';
import { defineConfig, VARIANTS } from '../src/model/config';
import { encoderFlops } from '../src/model/flops';
import { createFlexiViT } from '../src/model/load';
import { useCpu } from './setup';

beforeAll(useCpu);

describe('encoderFlops', () => {
  it('counts 2 × multiply-adds: ViT-B/16 at 224 is about 35 GFLOPs (17.6 GMACs, the published figure)', () => {
    const cfg = defineConfig({
      ...VARIANTS.B,
      kernelSize: [16, 16],
      posembGrid: [14, 14],
      resolution: [224, 224],
    });
    expect(encoderFlops(cfg, 16) / 2 / 1e9).toBeCloseTo(17.56, 1);
    // Halving the patch size multiplies tokens by 4: cost grows at least 4× (more with attention).
    expect(encoderFlops(cfg, 8) / encoderFlops(cfg, 16)).toBeGreaterThan(4);
  });
});

describe('chooseOperatingPoint', () => {
  const model = () =>
    createFlexiViT({
      width: 16,
      depth: 1,
      heads: 2,
      mlpDim: 32,
      kernelSize: [8, 8],
      posembGrid: [2, 2],
      resolution: [48, 48],
    });

  it('picks the smallest patch size within budget from a stored profile, measuring nothing', async () => {
    const m = model();
    let sets = 0;
    const profile: LatencyProfile = {
      key: '',
      latencyMs: { 8: 40, 12: 20, 16: 9, 24: 4, 48: 1 },
      measuredAt: '',
    };
    const store: ProfileStore = { get: () => profile, set: () => void sets++ };
    const pick = (latencyMs: number) =>
      chooseOperatingPoint(m, { latencyMs, patchSizes: [8, 12, 16, 24, 48], store });
    expect((await pick(25)).patchSize).toBe(12);
    expect((await pick(9)).patchSize).toBe(16);
    const none = await pick(0.5);
    expect([none.patchSize, none.withinBudget]).toEqual([48, false]);
    expect(sets).toBe(0);
    await expect(pick(-1)).rejects.toThrow(/latencyMs/);
    m.dispose();
  });

  it('measures once per device and model, then reuses the profile', async () => {
    const m = model();
    const saved = new Map<string, LatencyProfile>();
    let sets = 0;
    const store: ProfileStore = {
      get: (k) => saved.get(k),
      set: (k, p) => {
        sets++;
        saved.set(k, p);
      },
    };
    const before = tf.memory().numTensors;
    const first = await chooseOperatingPoint(m, { latencyMs: 1e6, patchSizes: [8, 16, 24], store, runs: 1 });
    expect(first.patchSize).toBe(8);
    expect(
      Object.keys(first.profile.latencyMs)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual([8, 16, 24]);
    expect(first.profile.key).toContain('cpu|16|1|2|32');
    await chooseOperatingPoint(m, { latencyMs: 1e6, patchSizes: [8, 16, 24], store });
    expect(sets).toBe(1);
    m.clearCache();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});
