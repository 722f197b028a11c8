import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bilinearMatrix,
  kron,
  type Mat,
  matmul,
  patchEmbeddingMatrices,
  pinv,
  positionEmbeddingMatrix,
  resizePatchEmbedding,
  resizePositionEmbedding,
  transpose,
  triangleMatrix,
} from '../src/resize';
import { useCpu } from './setup';

beforeAll(useCpu);

function randMat(rows: number, cols: number, seed: number): Mat {
  let s = seed;
  const data = new Float64Array(rows * cols).map(() => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
  return { rows, cols, data };
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/**
 * The resize operator R (new·new × old·old) built from TF.js' own resizeBilinear with half-pixel
 * centres (the TF2 resize big_vision uses), one basis image at a time: independent of our matrices.
 */
function resizeOperatorFromTf(from: [number, number], to: [number, number]): Float64Array {
  const n = from[0] * from[1];
  const basis = tf.tidy(() => tf.reshape(tf.oneHot(tf.range(0, n, 1, 'int32'), n), [n, from[0], from[1], 1]));
  const resized = tf.tidy(() =>
    tf.reshape(tf.image.resizeBilinear(basis as tf.Tensor4D, to, false, true), [n, to[0] * to[1]]),
  );
  const cols = resized.arraySync() as number[][]; // row j = R applied to basis j = column j of R
  tf.dispose([basis, resized]);
  const m = to[0] * to[1];
  const r = new Float64Array(m * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) r[i * n + j] = cols[j][i];
  return r;
}

describe('pinv', () => {
  it('satisfies the four Moore–Penrose conditions on tall, wide and rank-deficient matrices', () => {
    const rankDeficient = matmul(randMat(9, 3, 7), randMat(3, 6, 8));
    for (const a of [randMat(7, 4, 1), randMat(4, 9, 2), rankDeficient]) {
      const p = pinv(a);
      const apa = matmul(matmul(a, p), a);
      const pap = matmul(matmul(p, a), p);
      expect(maxAbs(apa.data, a.data)).toBeLessThan(1e-10);
      expect(maxAbs(pap.data, p.data)).toBeLessThan(1e-10);
      const ap = matmul(a, p);
      const pa = matmul(p, a);
      expect(maxAbs(ap.data, transpose(ap).data)).toBeLessThan(1e-10);
      expect(maxAbs(pa.data, transpose(pa).data)).toBeLessThan(1e-10);
    }
  });
});

describe('1-D resampling matrices', () => {
  it('bilinear 32→8 averages the two middle pixels of each group of four', () => {
    const r = bilinearMatrix(32, 8);
    for (let i = 0; i < 8; i++) {
      const row = Array.from(r.data.slice(i * 32, (i + 1) * 32));
      const expected = new Array(32).fill(0);
      expected[4 * i + 1] = 0.5;
      expected[4 * i + 2] = 0.5;
      expect(maxAbs(row, expected)).toBeLessThan(1e-12);
    }
  });

  it('bilinear matches TF.js resizeBilinear(halfPixelCenters) for up- and downsampling', () => {
    for (const [a, b] of [
      [7, 15],
      [15, 7],
      [32, 48],
      [32, 10],
      [5, 5],
    ] as const) {
      const ours = kron(bilinearMatrix(a, a), bilinearMatrix(a, b));
      const theirs = resizeOperatorFromTf([a, a], [a, b]);
      expect(maxAbs(ours.data, theirs)).toBeLessThan(1e-6);
    }
  });

  it('antialiased triangle filter: 7→5 row 0 is [2/3, 1/3, 0, …]; upsampling equals bilinear', () => {
    const t = triangleMatrix(7, 5);
    expect(maxAbs(Array.from(t.data.slice(0, 7)), [2 / 3, 1 / 3, 0, 0, 0, 0, 0])).toBeLessThan(1e-12);
    for (let i = 0; i < 5; i++) {
      const s = t.data.slice(i * 7, (i + 1) * 7).reduce((x, y) => x + y, 0);
      expect(s).toBeCloseTo(1, 12);
    }
    for (const n of [8, 15, 30])
      expect(maxAbs(triangleMatrix(7, n).data, bilinearMatrix(7, n).data)).toBeLessThan(1e-12);
  });
});

describe('PI-resize', () => {
  const pairs: [[number, number], [number, number], number][] = [
    [[8, 8], [16, 16], 3],
    [[16, 16], [30, 30], 1],
    [[7, 7], [15, 15], 3],
    [[8, 10], [10, 12], 3],
    [[8, 6], [9, 15], 10],
    [[32, 32], [48, 48], 3],
  ];

  it.each(pairs)('upsampling %j → %j keeps ⟨x, w⟩ = ⟨resize(x), PI(w)⟩ (C=%i)', (from, to, c) => {
    const d = 4;
    const tokens = 5;
    const [w, x] = [
      tf.randomNormal([...from, c, d], 0, 1, 'float32', 1),
      tf.randomNormal([tokens, ...from, c], 0, 1, 'float32', 2),
    ];
    const wNew = resizePatchEmbedding(w as tf.Tensor4D, to);
    expect(wNew.shape).toEqual([...to, c, d]);
    const [before, after] = tf.tidy(() => {
      const xr = tf.image.resizeBilinear(x as tf.Tensor4D, to, false, true); // TF's resize, not ours
      const b = tf.matMul(tf.reshape(x, [tokens, -1]), tf.reshape(w, [-1, d]));
      const a = tf.matMul(tf.reshape(xr, [tokens, -1]), tf.reshape(wNew, [-1, d]));
      return [b.dataSync(), a.dataSync()];
    });
    const scale = Math.max(...Array.from(before, Math.abs));
    expect(maxAbs(before, after) / scale).toBeLessThan(2e-5);
    tf.dispose([w, x, wNew]);
  });

  it.each([
    [
      [32, 32],
      [8, 8],
    ],
    [
      [32, 32],
      [16, 16],
    ],
    [
      [8, 8],
      [5, 7],
    ],
    [
      [12, 10],
      [9, 6],
    ],
  ] as [[number, number], [number, number]][])(
    'downsampling %j → %j gives the least-squares solution (normal equations)',
    (from, to) => {
      const c = 2;
      const d = 3;
      const w = tf.randomNormal([...from, c, d], 0, 1, 'float32', 3) as tf.Tensor4D;
      const wNew = resizePatchEmbedding(w, to);
      const r: Mat = { rows: to[0] * to[1], cols: from[0] * from[1], data: resizeOperatorFromTf(from, to) };
      // min ‖Rᵀ v − w‖  ⇔  (R Rᵀ) v = R w, per (in, out) channel slice.
      const rrt = matmul(r, transpose(r));
      const wData = w.dataSync();
      const vData = wNew.dataSync();
      for (let k = 0; k < c * d; k++) {
        const wk: Mat = {
          rows: r.cols,
          cols: 1,
          data: Float64Array.from({ length: r.cols }, (_, i) => wData[i * c * d + k]),
        };
        const vk: Mat = {
          rows: r.rows,
          cols: 1,
          data: Float64Array.from({ length: r.rows }, (_, i) => vData[i * c * d + k]),
        };
        const lhs = matmul(rrt, vk).data;
        const rhs = matmul(r, wk).data;
        const scale = Math.max(...Array.from(rhs, Math.abs));
        expect(maxAbs(lhs, rhs) / scale).toBeLessThan(1e-4);
      }
      tf.dispose([w, wNew]);
    },
  );

  it('separable form equals the full pinv of the Kronecker operator', () => {
    for (const [from, to] of [
      [
        [8, 8],
        [5, 5],
      ],
      [
        [6, 6],
        [10, 10],
      ],
      [
        [7, 5],
        [15, 9],
      ],
    ] as [[number, number], [number, number]][]) {
      const { y64, x64 } = patchEmbeddingMatrices(from, to);
      const full = pinv(transpose(kron(bilinearMatrix(from[0], to[0]), bilinearMatrix(from[1], to[1]))));
      expect(maxAbs(kron(y64, x64).data, full.data)).toBeLessThan(1e-10);
    }
  });

  it('is the identity at the stored size and other methods keep shapes', () => {
    const w = tf.randomNormal([8, 8, 3, 2]) as tf.Tensor4D;
    const same = resizePatchEmbedding(w, 8);
    expect(maxAbs(same.dataSync(), w.dataSync())).toBe(0);
    for (const m of ['bilinear', 'area', 'norm'] as const) {
      const r = resizePatchEmbedding(w, [12, 4], m);
      expect(r.shape).toEqual([12, 4, 3, 2]);
      r.dispose();
    }
    // norm-preserving: every output channel keeps its L2 norm.
    const n = resizePatchEmbedding(w, 16, 'norm');
    const norms = (t: tf.Tensor) => tf.tidy(() => tf.sqrt(tf.sum(tf.square(t), [0, 1, 2])).dataSync());
    expect(maxAbs(norms(n), norms(w))).toBeLessThan(1e-4);
    // area upsampling by 2 repeats each kernel pixel.
    const a = resizePatchEmbedding(w, 16, 'area');
    expect(tf.slice(a, [3, 5, 1, 1], [1, 1, 1, 1]).dataSync()[0]).toBeCloseTo(
      tf.slice(w, [1, 2, 1, 1], [1, 1, 1, 1]).dataSync()[0],
      6,
    );
    tf.dispose([w, same, n, a]);
  });
});

describe('position-embedding resize', () => {
  it('upsampling matches TF.js bilinear resize of the grid', () => {
    const d = 5;
    const pe = tf.randomNormal([49, d]) as tf.Tensor2D;
    for (const to of [
      [8, 8],
      [15, 15],
      [30, 24],
    ] as [number, number][]) {
      const ours = resizePositionEmbedding(pe, [7, 7], to);
      const theirs = tf.tidy(() =>
        tf.reshape(tf.image.resizeBilinear(tf.reshape(pe, [1, 7, 7, d]) as tf.Tensor4D, to, false, true), [
          -1,
          d,
        ]),
      );
      expect(maxAbs(ours.dataSync(), theirs.dataSync())).toBeLessThan(1e-5);
      tf.dispose([ours, theirs]);
    }
    pe.dispose();
  });

  it('downsampling is antialiased (7→5 first row mixes rows 0, 1 as 2/3, 1/3)', () => {
    const m = positionEmbeddingMatrix([7, 7], [5, 5]);
    // Output cell (0, 0) = row filter ⊗ column filter: (2/3)² on (0,0), (2/3)(1/3) on (0,1) and (1,0).
    expect(m[0]).toBeCloseTo(4 / 9, 6);
    expect(m[1]).toBeCloseTo(2 / 9, 6);
    expect(m[7]).toBeCloseTo(2 / 9, 6);
    expect(m[8]).toBeCloseTo(1 / 9, 6);
  });
});
