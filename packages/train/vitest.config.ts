import { defineConfig } from 'vitest/config';

// Generous timeouts: CI machines have 2 cores and the wasm/cpu backends are single-threaded.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } });
