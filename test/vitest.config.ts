import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One file at a time: wasm is single-threaded and the CLI tests spawn processes.
    fileParallelism: false,
  },
});
