import * as tf from '@tensorflow/tfjs-core';

/** Softmax cross-entropy with label smoothing ε: targets (1 − ε)·onehot + ε/C. Mean over the batch. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const c = logits.shape[1];
    const onehot = tf.oneHot(labels, c) as tf.Tensor2D;
    const targets = smoothing > 0 ? tf.add(tf.mul(onehot, 1 - smoothing), smoothing / c) : onehot;
    return tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/**
 * Distillation (the paper's i1k recipe): KL(teacher ‖ student) of temperature-softened
 * distributions, mean over the batch, scaled by t² so gradients keep their size across t.
 */
export function distillation(student: tf.Tensor2D, teacher: tf.Tensor2D, temperature = 1): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.softmax(tf.div(teacher, temperature));
    const kl = tf.sum(
      tf.mul(
        p,
        tf.sub(tf.logSoftmax(tf.div(teacher, temperature)), tf.logSoftmax(tf.div(student, temperature))),
      ),
      1,
    );
    return tf.mul(tf.mean(kl), temperature * temperature) as tf.Scalar;
  });
}
