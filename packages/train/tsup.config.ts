import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // tfjs-core's gradient registrations exist only as ESM sources without file extensions, which
  // Node cannot load: bundle that one entry (it fills tfjs' global gradient registry).
  noExternal: [/register_all_gradients/],
});
