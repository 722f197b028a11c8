import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { expectImageError } from './image-helpers';

// Simulates an install without the optional peer dependency: importing sharp fails as Node would.
vi.mock('sharp', () => {
  throw Object.assign(new Error("Cannot find package 'sharp'"), { code: 'ERR_MODULE_NOT_FOUND' });
});

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('without sharp', () => {
  it('encoded inputs fail with IMAGE_DECODER_MISSING and the install hint', async () => {
    const { decodeImage, loadImages } = await import('../src/image');
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    const err = await expectImageError(decodeImage(png), 'IMAGE_DECODER_MISSING');
    expect(err.message).toContain('npm install sharp');
    expect(err.cause).toBeDefined();
    // Not cached: a second attempt tries to load sharp again and fails the same way.
    await expectImageError(loadImages([png], { resolution: 8 }), 'IMAGE_DECODER_MISSING');
  });

  it('raw pixels and tensors still work', async () => {
    const { loadImages } = await import('../src/image');
    const black = tf.zeros([4, 4, 3]) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const out = await loadImages(
      [{ data: new Uint8Array(4 * 4 * 4).fill(255), width: 4, height: 4 }, black],
      {
        resolution: 2,
      },
    );
    expect(out.shape).toEqual([2, 2, 2, 3]);
    expect(Array.from(await out.data()).slice(0, 3)).toEqual([1, 1, 1]);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(black.isDisposed).toBe(false);
    black.dispose();
  });
});
