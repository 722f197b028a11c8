/** Latency profiles persisted as JSON in the user's cache folder, written atomically. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LatencyProfile, ProfileStore } from '@flexivit/core';

export function cacheDir(): string {
  return (
    process.env.FLEXIVIT_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'flexivit')
  );
}

export function fileProfileStore(path = join(cacheDir(), 'latency-profiles.json')): ProfileStore {
  const readAll = async (): Promise<Record<string, LatencyProfile>> => {
    try {
      return JSON.parse(await readFile(path, 'utf8'));
    } catch {
      return {}; // missing or unreadable: measure again
    }
  };
  return {
    get: async (key) => (await readAll())[key],
    set: async (key, profile) => {
      const all = { ...(await readAll()), [key]: profile };
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(all, null, 2));
      await rename(tmp, path);
    },
  };
}
