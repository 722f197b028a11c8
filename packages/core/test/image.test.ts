import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageInputError } from '../src/errors';
import { decodeImage, loadImages, NORMALIZE_PRESETS, type PreprocessOptions, preprocess } from '../src/image';
import { expectImageError, pngWithHeaderSize, pseudoRandomBytes, serveFiles } from './image-helpers';

const FIXTURE = new URL('../../../test/fixtures/parity/image.png', import.meta.url);
const FIXTURE_PATH = FIXTURE.pathname;

/** mean 0 / std 1 turns the output into x / 255, so resize results can be read back as pixel values. */
const IDENTITY = { mean: [0, 0, 0], std: [1, 1, 1] };

let fixtureBytes: Uint8Array<ArrayBuffer>;
/** The fixture's pixels as sharp decodes them, independently of the code under test. */
let fixtureRaw: { data: Uint8Array; width: number; height: number };
let tmp: string;
let server: Awaited<ReturnType<typeof serveFiles>>;

beforeAll(async () => {
  await tf.setBackend('cpu');
  fixtureBytes = new Uint8Array(await readFile(FIXTURE_PATH));
  const { data, info } = await sharp(fixtureBytes).raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  fixtureRaw = { data, width: info.width, height: info.height };
  tmp = await mkdtemp(join(tmpdir(), 'flexivit-image-'));
  server = await serveFiles({ '/image.png': fixtureBytes });
});

afterAll(async () => {
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function pixelsOf(t: tf.Tensor): Promise<number[]> {
  const values = Array.from(await t.data());
  t.dispose();
  return values;
}

/** A float32 [h, w, 3] tensor whose channel c at (y, x) is f(y, x, c). */
function imageFrom(h: number, w: number, f: (y: number, x: number, c: number) => number): tf.Tensor3D {
  const values = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) values[(y * w + x) * 3 + c] = f(y, x, c);
  return tf.tensor3d(values, [h, w, 3]);
}

describe('decodeImage (Node, sharp)', () => {
  it('decodes the fixture PNG identically from a path, bytes, file:// URL and loopback http', async () => {
    const fromPath = await decodeImage(FIXTURE_PATH);
    expect(fromPath.shape).toEqual([240, 240, 3]);
    expect(fromPath.dtype).toBe('int32');
    const expected = await pixelsOf(fromPath);
    expect(expected).toEqual(Array.from(fixtureRaw.data));

    const others = [
      fixtureBytes,
      fixtureBytes.buffer.slice(fixtureBytes.byteOffset, fixtureBytes.byteOffset + fixtureBytes.byteLength),
      new Blob([fixtureBytes]),
      FIXTURE,
      pathToFileURL(FIXTURE_PATH).href,
      `${server.base}/image.png`,
      new URL(`${server.base}/image.png`),
    ] as const;
    for (const input of others) {
      const t = await decodeImage(input);
      expect(t.shape).toEqual([240, 240, 3]);
      expect(await pixelsOf(t)).toEqual(expected);
    }
  });

  it('reads bytes from a view with an offset into a larger buffer', async () => {
    const big = new Uint8Array(fixtureBytes.byteLength + 37);
    big.set(fixtureBytes, 11);
    const t = await decodeImage(big.subarray(11, 11 + fixtureBytes.byteLength));
    expect(await pixelsOf(t)).toEqual(Array.from(fixtureRaw.data));
  });

  it('decodes a JPEG', async () => {
    const jpeg = await sharp({
      create: { width: 16, height: 8, channels: 3, background: { r: 200, g: 100, b: 50 } },
    })
      .jpeg({ quality: 100 })
      .toBuffer();
    const t = await decodeImage(jpeg);
    expect(t.shape).toEqual([8, 16, 3]);
    const v = await pixelsOf(t);
    for (let i = 0; i < v.length; i += 3) {
      expect(Math.abs(v[i] - 200)).toBeLessThanOrEqual(3);
      expect(Math.abs(v[i + 1] - 100)).toBeLessThanOrEqual(3);
      expect(Math.abs(v[i + 2] - 50)).toBeLessThanOrEqual(3);
    }
  });

  it('drops the alpha channel of an RGBA PNG without compositing', async () => {
    const rgba = Uint8Array.from([10, 20, 30, 0, 40, 50, 60, 128, 70, 80, 90, 255, 1, 2, 3, 7]);
    const png = await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } })
      .png()
      .toBuffer();
    expect((await sharp(png).metadata()).channels).toBe(4);
    const t = await decodeImage(png);
    expect(t.shape).toEqual([2, 2, 3]);
    expect(await pixelsOf(t)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 1, 2, 3]);
  });

  it('repeats a greyscale PNG (with and without alpha) to 3 channels', async () => {
    const grey = await sharp(Uint8Array.from([0, 100, 255]), { raw: { width: 3, height: 1, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    expect(await pixelsOf(await decodeImage(grey))).toEqual([0, 0, 0, 100, 100, 100, 255, 255, 255]);

    const greyAlpha = await sharp(Uint8Array.from([10, 200, 20, 0]), {
      raw: { width: 2, height: 1, channels: 2 },
    })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(greyAlpha).metadata()).channels).toBe(2);
    expect(await pixelsOf(await decodeImage(greyAlpha))).toEqual([10, 10, 10, 20, 20, 20]);
  });

  it('applies EXIF orientation (6 = rotate 90° clockwise), swapping the dimensions', async () => {
    // 16 wide x 8 high: left 8x8 block red, right 8x8 block blue (block-aligned so JPEG keeps colours clean).
    const raw = new Uint8Array(16 * 8 * 3);
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 16; x++) raw.set(x < 8 ? [255, 0, 0] : [0, 0, 255], (y * 16 + x) * 3);
    const jpeg = await sharp(raw, { raw: { width: 16, height: 8, channels: 3 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const t = await decodeImage(jpeg);
    expect(t.shape).toEqual([16, 8, 3]);
    // Rotated clockwise, the left (red) block becomes the top half and the right (blue) block the bottom half.
    const v = await pixelsOf(t);
    const at = (y: number, x: number) => v.slice((y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
    expect(at(2, 4)[0]).toBeGreaterThan(200);
    expect(at(2, 4)[2]).toBeLessThan(50);
    expect(at(13, 4)[0]).toBeLessThan(50);
    expect(at(13, 4)[2]).toBeGreaterThan(200);
  });

  it('takes ImageData-like RGBA pixel data and plain RGB / grey pixel data', async () => {
    const rgba = { data: new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 0]), width: 2, height: 1 };
    const t = await decodeImage(rgba);
    expect(t.shape).toEqual([1, 2, 3]);
    expect(t.dtype).toBe('int32');
    expect(await pixelsOf(t)).toEqual([1, 2, 3, 4, 5, 6]);

    const rgb = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), width: 1, height: 2, channels: 3 as const };
    expect(await pixelsOf(await decodeImage(rgb))).toEqual([1, 2, 3, 4, 5, 6]);

    const grey = { data: Uint8Array.from([9, 8]), width: 2, height: 1 };
    expect(await pixelsOf(await decodeImage(grey))).toEqual([9, 9, 9, 8, 8, 8]);
  });

  it('passes tensors through as new RGB tensors the caller owns', async () => {
    const rgb = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 2, 3], 'int32');
    const out = await decodeImage(rgb);
    expect(out).not.toBe(rgb);
    out.dispose();
    expect(rgb.isDisposed).toBe(false);
    expect(await pixelsOf(rgb)).toEqual([1, 2, 3, 4, 5, 6]);

    const grey = tf.tensor3d([7, 8], [1, 2, 1], 'float32');
    const g = await decodeImage(grey);
    expect(g.shape).toEqual([1, 2, 3]);
    expect(g.dtype).toBe('float32');
    expect(await pixelsOf(g)).toEqual([7, 7, 7, 8, 8, 8]);
    grey.dispose();

    const rgba4d = tf.tensor4d([1, 2, 3, 4], [1, 1, 1, 4]);
    expect(await pixelsOf(await decodeImage(rgba4d))).toEqual([1, 2, 3]);
    rgba4d.dispose();
  });

  it('reads a canvas-like DOM source through tf.browser.fromPixels when the global exists', async () => {
    class FakeOffscreenCanvas {
      width = 2;
      height = 1;
      getContext() {
        return { getImageData: () => ({ data: new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 128]) }) };
      }
    }
    const g = globalThis as { OffscreenCanvas?: unknown };
    const saved = g.OffscreenCanvas;
    g.OffscreenCanvas = FakeOffscreenCanvas;
    try {
      const t = await decodeImage(new FakeOffscreenCanvas() as unknown as OffscreenCanvas);
      expect(t.shape).toEqual([1, 2, 3]);
      expect(await pixelsOf(t)).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      g.OffscreenCanvas = saved;
    }
  });
});

describe('preprocess', () => {
  it("normalize 'bigvision' gives exactly pixel / 127.5 - 1 for the fixture", async () => {
    const batch = await loadImages(FIXTURE_PATH, { resolution: 240, normalize: 'bigvision' });
    expect(batch.shape).toEqual([1, 240, 240, 3]);
    expect(batch.dtype).toBe('float32');
    const out = await batch.data();
    batch.dispose();
    const { data, width } = fixtureRaw;
    let s = 7;
    for (let k = 0; k < 200; k++) {
      s = (s * 48271) % 2147483647;
      const y = s % 240;
      const x = Math.floor(s / 240) % width;
      for (let c = 0; c < 3; c++) {
        const i = (y * width + x) * 3 + c;
        const p = data[i];
        // float32 division then float32 subtraction, as a float32 kernel computes it.
        expect(out[i]).toBe(Math.fround(Math.fround(p / 127.5) - 1));
        expect(Math.abs(out[i] - (p / 127.5 - 1))).toBeLessThan(1e-6);
      }
    }
    // And every value of the image, counted rather than asserted one by one to stay fast.
    let mismatches = 0;
    for (let i = 0; i < data.length; i++)
      if (out[i] !== Math.fround(Math.fround(data[i] / 127.5) - 1)) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('applies the imagenet, clip and custom mean/std as (x / 255 - mean) / std', async () => {
    const pixels = tf.tensor3d([0, 128, 255, 30, 60, 90], [1, 2, 3], 'int32');
    const cases = [
      ['imagenet', NORMALIZE_PRESETS.imagenet],
      ['clip', NORMALIZE_PRESETS.clip],
      [
        { mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2] },
        { mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2] },
      ],
    ] as const;
    expect(NORMALIZE_PRESETS.imagenet.mean).toEqual([0.485, 0.456, 0.406]);
    expect(NORMALIZE_PRESETS.clip.std).toEqual([0.26862954, 0.26130258, 0.27577711]);
    for (const [normalize, { mean, std }] of cases) {
      const out = await pixelsOf(preprocess(pixels, { resolution: [1, 2], normalize }));
      const raw = [0, 128, 255, 30, 60, 90];
      for (const [i, p] of raw.entries()) expect(out[i]).toBeCloseTo((p / 255 - mean[i % 3]) / std[i % 3], 5);
    }
    pixels.dispose();
  });

  it('keeps a constant image constant under squash and crop', async () => {
    const constant = imageFrom(7, 5, () => 123);
    for (const resize of ['squash', 'crop'] as const) {
      const out = preprocess(constant, { resolution: [16, 12], resize });
      expect(out.shape).toEqual([1, 16, 12, 3]);
      for (const v of await pixelsOf(out)) expect(v).toBeCloseTo(123 / 127.5 - 1, 6);
    }
    constant.dispose();
  });

  it('upsamples 2x2 → 4x4 with half-pixel centres (TF2 bilinear) values', async () => {
    // 1-D [0, 4] sampled at source positions -0.25, 0.25, 0.75, 1.25 (clamped) gives [0, 1, 3, 4];
    // the image is separable: value(y, x) = 8 * row(y) + 4 * col(x) with [0, 0.25, 0.75, 1] weights.
    const img = imageFrom(2, 2, (y, x) => 8 * y + 4 * x);
    const out = await pixelsOf(preprocess(img, { resolution: 4, normalize: IDENTITY }));
    img.dispose();
    const colsX = [0, 1, 3, 4];
    const rowsY = [0, 2, 6, 8];
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++)
        for (let c = 0; c < 3; c++)
          expect(out[(y * 4 + x) * 3 + c] * 255).toBeCloseTo(rowsY[y] + colsX[x], 4);
  });

  it('crop recipe: a 300x400 image gives 240x240, resized to 272 (big_vision 240 // 7 * 8) then centre-cropped at offset 16', async () => {
    // R ramps along x, G along y, B constant; bilinear reproduces a linear ramp exactly away from the edges.
    const H = 300;
    const W = 400;
    const img = imageFrom(H, W, (y, x, c) => (c === 0 ? x : c === 1 ? y : 50));
    const out = preprocess(img, { resolution: 240, resize: 'crop', normalize: IDENTITY });
    img.dispose();
    expect(out.shape).toEqual([1, 240, 240, 3]);
    const v = await pixelsOf(out);
    const pre = Math.floor(240 / 7) * 8; // big_vision resize(240 // 7 * 8)
    const offset = Math.floor((pre - 240) / 2);
    expect([pre, offset]).toEqual([272, 16]);
    const source = (i: number, inSize: number) => (i + offset + 0.5) * (inSize / pre) - 0.5;
    for (const [y, x] of [
      [120, 120],
      [0, 0],
      [239, 10],
    ]) {
      const p = v.slice((y * 240 + x) * 3, (y * 240 + x) * 3 + 3).map((n) => n * 255);
      expect(p[0]).toBeCloseTo(source(x, W), 3);
      expect(p[1]).toBeCloseTo(source(y, H), 3);
      expect(p[2]).toBeCloseTo(50, 4);
    }
  });

  it('crop without a resize step is an exact central slice (256 → 224)', async () => {
    const img = imageFrom(256, 256, (y, x, c) => (y * 256 + x + c) % 251);
    const out = preprocess(img, { resolution: 224, resize: 'crop', normalize: IDENTITY });
    expect(out.shape).toEqual([1, 224, 224, 3]);
    const expected = await pixelsOf(tf.div(tf.slice(img, [16, 16, 0], [224, 224, 3]), 255));
    expect(await pixelsOf(out)).toEqual(expected);
    img.dispose();
  });

  it('honours cropRatio, non-square resolutions and resize none', async () => {
    const img = imageFrom(20, 30, () => 10);
    const a = preprocess(img, { resolution: [10, 20], resize: 'crop', cropRatio: 0.5 });
    expect(a.shape).toEqual([1, 10, 20, 3]);
    a.dispose();
    const b = preprocess(img, { resolution: [20, 30], resize: 'none' });
    expect(b.shape).toEqual([1, 20, 30, 3]);
    b.dispose();
    await expectImageError(() => preprocess(img, { resolution: 20, resize: 'none' }), 'ARGUMENT_INVALID');
    img.dispose();
  });
});

describe('loadImages', () => {
  it('stacks mixed inputs, treating a Tensor4D as an already-batched input', async () => {
    const pair = tf.zeros([2, 8, 8, 4]) as tf.Tensor4D;
    const batch = await loadImages([FIXTURE_PATH, pair, fixtureBytes], { resolution: 32, resize: 'crop' });
    expect(batch.shape).toEqual([4, 32, 32, 3]);
    const v = await batch.data();
    batch.dispose();
    // Items 1 and 2 are the zero tensor → -1 everywhere; items 0 and 3 are the same decoded image.
    const per = 32 * 32 * 3;
    expect(v.subarray(per, 3 * per).every((n) => n === -1)).toBe(true);
    expect(Array.from(v.subarray(3 * per))).toEqual(Array.from(v.subarray(0, per)));
    expect(pair.isDisposed).toBe(false);
    pair.dispose();
  });

  it('leaves tf.memory().numTensors unchanged across 20 calls and after failures', async () => {
    const opts: PreprocessOptions = { resolution: 64, resize: 'crop', normalize: 'imagenet' };
    const warm = await loadImages(fixtureBytes, opts); // first use may register kernels/backends
    warm.dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      const out = await loadImages(i % 2 ? [fixtureBytes, FIXTURE_PATH] : fixtureBytes, opts);
      out.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);

    const err = await expectImageError(
      loadImages([fixtureBytes, FIXTURE_PATH, pseudoRandomBytes(64), fixtureBytes], opts),
      'IMAGE_INVALID',
    );
    expect(err.message).toMatch(/^inputs\[2\]: /);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('errors', () => {
  it('a missing file, random bytes, empty bytes, a text file and a zero-size image are IMAGE_INVALID', async () => {
    const missing = await expectImageError(decodeImage(join(tmp, 'nope.png')), 'IMAGE_INVALID');
    expect(missing.message).toMatch(/no such file/);
    expect(missing.cause).toBeDefined();

    const random = await expectImageError(decodeImage(pseudoRandomBytes(512)), 'IMAGE_INVALID');
    expect(random.message).toMatch(/could not be decoded/);
    expect(random.cause).toBeInstanceOf(Error);
    expect(random.cause).not.toBeInstanceOf(ImageInputError);

    const empty = await expectImageError(decodeImage(new Uint8Array(0)), 'IMAGE_INVALID');
    expect(empty.message).toMatch(/empty/);
    await expectImageError(decodeImage(new ArrayBuffer(0)), 'IMAGE_INVALID');
    await expectImageError(decodeImage(new Blob([])), 'IMAGE_INVALID');

    const textPath = join(tmp, 'notes.txt');
    await writeFile(textPath, 'This is a text file, not an image.\n');
    await expectImageError(decodeImage(textPath), 'IMAGE_INVALID');
    await expectImageError(decodeImage(tmp), 'IMAGE_INVALID'); // a directory
    await expectImageError(decodeImage(''), 'IMAGE_INVALID');

    await expectImageError(decodeImage(pngWithHeaderSize(0, 10)), 'IMAGE_INVALID');
    await expectImageError(decodeImage({ data: new Uint8Array(0), width: 0, height: 4 }), 'IMAGE_INVALID');
    await expectImageError(
      decodeImage({ data: new Uint8Array(5), width: 2, height: 1 }), // not 2, 6 or 8 bytes
      'IMAGE_INVALID',
    );
    const zero = tf.zeros([0, 4, 3]) as tf.Tensor3D;
    await expectImageError(decodeImage(zero), 'IMAGE_INVALID');
    zero.dispose();
  });

  it('an HTTP error status is IMAGE_INVALID and an unknown URL scheme is unsupported', async () => {
    const e = await expectImageError(decodeImage(`${server.base}/missing.png`), 'IMAGE_INVALID');
    expect(e.message).toMatch(/HTTP 404/);
    await expectImageError(decodeImage('ftp://example.com/a.png'), 'IMAGE_UNSUPPORTED_INPUT');
  });

  it('tensors of the wrong rank, channel count or dtype are IMAGE_INVALID', async () => {
    const bad = [
      tf.zeros([4, 4]),
      tf.zeros([4, 4, 2]),
      tf.zeros([4, 4, 5]),
      tf.zeros([1, 1, 4, 4, 3]),
      tf.zeros([4, 4, 3], 'bool'),
    ];
    for (const t of bad) {
      await expectImageError(decodeImage(t as tf.Tensor3D), 'IMAGE_INVALID');
      await expectImageError(() => preprocess(t as tf.Tensor3D, { resolution: 4 }), 'IMAGE_INVALID');
      await expectImageError(loadImages(t as tf.Tensor3D, { resolution: 4 }), 'IMAGE_INVALID');
    }
    const batch = tf.zeros([2, 4, 4, 3]) as tf.Tensor4D;
    await expectImageError(decodeImage(batch), 'IMAGE_INVALID'); // a batch is not one image
    tf.dispose([...bad, batch]);
  });

  it('unsupported input kinds are IMAGE_UNSUPPORTED_INPUT', async () => {
    for (const input of [42, null, undefined, {}, { width: 3, height: 3 }, new Float32Array(12), [1, 2, 3]]) {
      const e = await expectImageError(decodeImage(input as never), 'IMAGE_UNSUPPORTED_INPUT');
      expect(e.message).toMatch(/Expected a file path or URL string/);
    }
    await expectImageError(
      () => preprocess(fixtureBytes as never, { resolution: 4 }),
      'IMAGE_UNSUPPORTED_INPUT',
    );
  });

  it('bad options are ARGUMENT_INVALID, before any decoding', async () => {
    const img = tf.zeros([4, 4, 3]) as tf.Tensor3D;
    const badOptions: unknown[] = [
      { resolution: 0 },
      { resolution: 1.5 },
      { resolution: -4 },
      { resolution: [224] },
      { resolution: [224, 0] },
      { resolution: '224' },
      {},
      { resolution: 4, resize: 'stretch' },
      { resolution: 4, cropRatio: 0 },
      { resolution: 4, cropRatio: 1.2 },
      { resolution: 4, normalize: 'openai' },
      { resolution: 4, normalize: { mean: [0, 0], std: [1, 1, 1] } },
      { resolution: 4, normalize: { mean: [0, 0, 0], std: [1, 0, 1] } },
      null,
    ];
    for (const opts of badOptions) {
      await expectImageError(() => preprocess(img, opts as PreprocessOptions), 'ARGUMENT_INVALID');
      // The missing file would be IMAGE_INVALID; options are checked first.
      await expectImageError(
        loadImages(join(tmp, 'nope.png'), opts as PreprocessOptions),
        'ARGUMENT_INVALID',
      );
    }
    await expectImageError(loadImages([], { resolution: 4 }), 'ARGUMENT_INVALID');
    img.dispose();
  });
});
