/**
 * Primitive ops routed onto the fast path of TF.js backends. On wasm (XNNPACK) only a plain 2-D
 * matMul is fast (~28 GFLOP/s on one core here); batched or transposed matMuls run at ~2. So:
 * every matMul here is 2-D and untransposed, and so are its gradients (explicit transposes).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * a [m, k] · b [k, n] with a custom gradient: da = dy · bᵀ, db = aᵀ · dy, transposes done
 * explicitly (cheap memory moves) so the backward pass stays on the plain matMul path too.
 */
export const matMul2d: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  // biome-ignore lint/suspicious/noExplicitAny: customGrad's typing erases the argument types.
  ((a: tf.Tensor2D, b: tf.Tensor2D, save: any) => {
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [sa, sb] = saved as tf.Tensor2D[];
        return [tf.matMul(dy, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy)];
      },
    };
  }) as never,
) as never;
