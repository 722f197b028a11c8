/**
 * A pool worker: its own TensorFlow.js instance and backend, one classifier loaded once, jobs run
 * one at a time as the pool sends them. Built as a separate entry (dist/pool/worker.{js,cjs}).
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { type FlexiViTClassifier, load } from '@flexivit/classifier';
import type { ImageInput } from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../select';
import {
  type FromWorker,
  isWireTensor,
  serializeError,
  type ToWorker,
  type WireFeatures,
  type WireImage,
  type WireTensor,
  type WorkerInit,
} from './protocol';

if (parentPort == null) throw new Error('@flexivit/backend-node pool worker: run me with new Worker().');
const port = parentPort;
const init = workerData as WorkerInit;

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

function fromWire(x: WireImage, owned: tf.Tensor[]): ImageInput {
  if (!isWireTensor(x)) return x;
  const t: tf.Tensor = tf.tensor(x.data, x.shape, x.dtype);
  owned.push(t);
  return t as tf.Tensor3D | tf.Tensor4D;
}

async function toWire(t: tf.Tensor, transfer: ArrayBuffer[]): Promise<WireTensor> {
  // Copy: on the cpu backend data() is the tensor's own storage, which must not be detached.
  const data = (await t.data<'float32'>()).slice();
  transfer.push(data.buffer);
  return { kind: 'tensor', shape: t.shape.slice(), dtype: 'float32', data };
}

async function run(model: FlexiViTClassifier, msg: Extract<ToWorker, { type: 'job' }>): Promise<void> {
  const owned: tf.Tensor[] = [];
  try {
    const images = Array.isArray(msg.images)
      ? msg.images.map((x) => fromWire(x, owned))
      : fromWire(msg.images, owned);
    const transfer: ArrayBuffer[] = [];
    let value: unknown;
    if (msg.kind === 'classify') {
      value = await model.classify(images as ImageInput, msg.options);
    } else if (msg.kind === 'logits') {
      const logits = await model.logits(images, msg.options);
      try {
        value = await toWire(logits, transfer);
      } finally {
        logits.dispose();
      }
    } else {
      const f = await model.backbone.encode(images, msg.options);
      try {
        const out: WireFeatures = {
          tokens: await toWire(f.tokens, transfer),
          prefix: await toWire(f.prefix, transfer),
          pooled: f.pooled ? await toWire(f.pooled, transfer) : null,
          grid: f.grid,
          patchSize: f.patchSize,
          resolution: f.resolution,
        };
        value = out;
      } finally {
        f.dispose();
      }
    }
    send({ type: 'result', id: msg.id, value }, transfer);
  } catch (err) {
    send({ type: 'error', id: msg.id, error: serializeError(err) });
  } finally {
    tf.dispose(owned);
  }
}

async function start(): Promise<void> {
  let model: FlexiViTClassifier;
  try {
    const choice = await useBackend(init.backend);
    // Bytes arrive in a SharedArrayBuffer shared by all workers; the readers want a private copy.
    const weights = typeof init.weights === 'string' ? init.weights : new Uint8Array(init.weights);
    model = await load(weights, { ...init.loadOptions, labels: init.labels });
    port.on('message', (msg: ToWorker) => {
      if (msg.type === 'job') {
        void run(model, msg);
      } else if (msg.type === 'stats') {
        const m = tf.memory();
        send({
          type: 'stats',
          id: msg.id,
          numTensors: m.numTensors,
          numBytes: m.numBytes,
          heapUsedBytes: getHeapStatistics().used_heap_size,
        });
      }
    });
    send({ type: 'ready', backend: choice.name, tfBackend: choice.tfBackend });
  } catch (err) {
    send({ type: 'init-error', error: serializeError(err) });
  }
}

void start();
