/**
 * tfjs-core registers no gradients on its own (its Node bundle has none); the union package
 * `@tensorflow/tfjs` does. Training needs them, so this package registers them (tsup bundles this
 * one file, which resolves tfjs-core's ESM sources; the registry it fills is tfjs' global one).
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
