#!/usr/bin/env node
// Writes models/fashion-flexivit/test-slice.npz: the first N images and labels of the Fashion-MNIST
// test split (from Debian's dataset-fashion-mnist, MIT licence), so the demo runs on a fresh machine.
import { writeFileSync } from 'node:fs';
import { writeNpz } from '@flexivit/core';
import { loadFashionMnist } from '@flexivit/train';

const n = Number(process.argv[2] ?? 500);
const test = await loadFashionMnist(undefined, 'test');
const images = test.images.slice(0, n * 28 * 28);
const labels = test.labels.slice(0, n);
const npz = writeNpz(
  {
    images: { dtype: 'uint8', shape: [n, 28, 28], data: images },
    labels: { dtype: 'uint8', shape: [n], data: labels },
  },
  { compress: true },
);
writeFileSync(new URL('../models/fashion-flexivit/test-slice.npz', import.meta.url), npz);
console.log(`wrote ${n} test images (${npz.length} bytes)`);
