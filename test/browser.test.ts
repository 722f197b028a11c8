/**
 * The browser proof: @flexivit/core, @flexivit/classifier and @flexivit/backend-web bundled by
 * esbuild for the browser, run in Debian's Chromium (headless, software WebGL via SwiftShader) on
 * the WebGL and wasm backends, against timm's reference logits. Everything the page loads — the
 * bundle, the .wasm binaries, the checkpoint and the image — comes from a local node:http server.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageRequest, PageResult, PickResult } from './browser/page';
import { EXPECTED, maxAbsDiff, PARITY_IMAGE, PARITY_NPZ } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  console.info(
    `browser.test.ts: skipped, ${CHROMIUM} does not exist ` +
      '(apt-get install -y --no-install-recommends chromium; .ci/run does this).',
  );
}

const PATCH_SIZES = Object.keys(EXPECTED.logits)
  .map(Number)
  .sort((a, b) => a - b);
const TOLERANCE = 1e-3;

// The wasm binaries ship next to the wasm backend, a dependency of @flexivit/backend-web.
const requireFromHere = createRequire(import.meta.url);
const requireFromBackendWeb = createRequire(requireFromHere.resolve('@flexivit/backend-web/package.json'));
const WASM_DIR = dirname(
  requireFromBackendWeb.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
);

const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>FlexiViT.js browser test</title></head>
<body><script type="module" src="/bundle/page.js"></script></body></html>`;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', // needed for WebAssembly.instantiateStreaming
  '.png': 'image/png',
  '.npz': 'application/octet-stream',
};

function contentType(path: string): string {
  const dot = path.lastIndexOf('.');
  return CONTENT_TYPES[path.slice(dot)] ?? 'application/octet-stream';
}

async function bundlePage(): Promise<Map<string, Uint8Array>> {
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./browser/page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Splitting keeps each tfjs backend in its own chunk, loaded only when useBackend tries it.
    splitting: true,
    outdir: '/bundle',
    write: false,
    logLevel: 'silent',
  });
  return new Map(result.outputFiles.map((f) => [basename(f.path), f.contents]));
}

/** Serves the bundle, the page, the wasm binaries and the two fixture files; nothing else. */
function serve(bundle: Map<string, Uint8Array>, requests: string[]): Promise<Server> {
  const fixtures: Record<string, string> = {
    'flexivit-tiny.npz': PARITY_NPZ,
    'image.png': PARITY_IMAGE,
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push(path);
    let body: Uint8Array | string | undefined;
    const [, dir, name = ''] = path.match(/^\/([a-z]+)\/([^/]+)$/) ?? [];
    if (path === '/' || path === '/index.html') body = INDEX_HTML;
    else if (dir === 'bundle') body = bundle.get(name);
    else if (dir === 'wasm' && /^tfjs-backend-wasm[a-z-]*\.wasm$/.test(name)) {
      body = readFileSync(`${WASM_DIR}/${name}`);
    } else if (dir === 'fixtures' && fixtures[name]) body = readFileSync(fixtures[name]);
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, {
      'content-type': contentType(path === '/' ? '.html' : path),
      'cache-control': 'no-store',
    });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // No GPU here: WebGL through SwiftShader, Chromium's CPU implementation of it.
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

describe.skipIf(!HAS_CHROMIUM)('in Chromium', () => {
  let server: Server | undefined;
  let browser: Browser | undefined;
  // A second browser with WebGPU on SwiftShader, which Chromium only offers behind this flag.
  let webgpuBrowser: Browser | undefined;
  let origin = '';
  const requests: string[] = [];

  beforeAll(async () => {
    const bundle = await bundlePage();
    server = await serve(bundle, requests);
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // launch() gives each browser a fresh temporary profile (user-data-dir) and deletes it on close.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    webgpuBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...LAUNCH_ARGS, '--enable-unsafe-webgpu'],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await webgpuBrowser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  /** Opens a fresh page (a fresh tfjs), runs the request there and returns what it measured. */
  async function runInPage(
    request: Omit<PageRequest, 'checkpoint' | 'image' | 'patchSizes'>,
    on: Browser = browser!,
    patchSizes: number[] = PATCH_SIZES,
  ) {
    const page = await on.newPage();
    const log: string[] = [];
    const foreign: string[] = [];
    page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(`${origin}/`) && !r.url().startsWith('blob:')) foreign.push(r.url());
    });
    try {
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => 'flexivit' in globalThis, undefined, { timeout: 30_000 });
      const full: PageRequest = {
        ...request,
        checkpoint: `${origin}/fixtures/flexivit-tiny.npz`,
        image: `${origin}/fixtures/image.png`,
        patchSizes,
      };
      const started = Date.now();
      const result = await page
        .evaluate(
          (req) =>
            (
              globalThis as unknown as { flexivit: { run(r: PageRequest): Promise<PageResult> } }
            ).flexivit.run(req),
          full,
        )
        .catch((err: unknown) => {
          throw new Error(`page failed: ${err instanceof Error ? err.message : err}\n${log.join('\n')}`);
        });
      return { result, wallMs: Date.now() - started, log, foreign };
    } finally {
      await page.close();
    }
  }

  function check(
    backend: string,
    run: Awaited<ReturnType<typeof runInPage>>,
    patchSizes: number[] = PATCH_SIZES,
  ): void {
    const { result } = run;
    expect(result.tfBackend, result.description).toBe(backend);
    expect(run.foreign, 'requests that left the local server').toEqual([]);
    const diffs: Record<number, number> = {};
    for (const [i, r] of result.rounds.entries()) {
      for (const ps of patchSizes) {
        const d = maxAbsDiff(r.logits[ps], EXPECTED.logits[ps]);
        diffs[ps] = Math.max(diffs[ps] ?? 0, d);
        expect(d, `${backend}, round ${i + 1}, patch ${ps}`).toBeLessThan(TOLERANCE);
      }
    }
    // Round 1 filled the caches; round 2 must leave the tensor count as it found it.
    expect(result.rounds[1].numTensorsAfter).toBe(result.rounds[0].numTensorsAfter);
    expect(result.numTensorsAfterDispose).toBe(result.numTensorsBeforeLoad);

    const ms = (x: number) => `${Math.round(x)} ms`;
    const perSize = (r: (typeof result.rounds)[number]) =>
      patchSizes.map((ps) => `${ps}: ${ms(r.ms[ps])}`).join(', ');
    console.info(
      [
        `[browser] ${result.description} ${JSON.stringify(result.flags)}`,
        `  wall ${ms(run.wallMs)}, load ${ms(result.loadMs)}`,
        `  round 1 (cold caches) ${ms(result.rounds[0].totalMs)}: ${perSize(result.rounds[0])}`,
        `  round 2 (warm caches) ${ms(result.rounds[1].totalMs)}: ${perSize(result.rounds[1])}`,
        `  max |logit diff| vs timm: ${Math.max(...Object.values(diffs)).toExponential(2)} ` +
          `(${patchSizes.map((ps) => `${ps}: ${diffs[ps].toExponential(1)}`).join(', ')})`,
        `  numTensors: before load ${result.numTensorsBeforeLoad}, after load ${result.numTensorsAfterLoad}, ` +
          `after round 1 ${result.rounds[0].numTensorsAfter}, after round 2 ${result.rounds[1].numTensorsAfter}, ` +
          `after dispose ${result.numTensorsAfterDispose}`,
      ].join('\n'),
    );
  }

  it('auto: picks the first backend that works here and says why it skipped the faster ones', async () => {
    const page = await browser!.newPage();
    try {
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => 'flexivit' in globalThis, undefined, { timeout: 30_000 });
      const choice = await page.evaluate(() =>
        (globalThis as unknown as { flexivit: { pick(p: 'auto'): Promise<PickResult> } }).flexivit.pick(
          'auto',
        ),
      );
      console.info(`[browser] auto → ${choice.description}`);
      // SwiftShader WebGL works here, so auto never falls below webgl; WebGPU depends on the build.
      expect(['webgpu', 'webgl']).toContain(choice.name);
      expect(choice.active).toBe(choice.name);
      expect(choice.skipped.map((s) => s.name)).toEqual(choice.name === 'webgl' ? ['webgpu'] : []);
      for (const s of choice.skipped) expect(s.reason.length).toBeGreaterThan(0);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('webgl: logits by URL at every patch size match timm within 1e-3, no tensor growth', async () => {
    check('webgl', await runInPage({ backend: 'webgl' }));
  }, 150_000);

  it('wasm: the binaries come from wasmPaths on the local server; logits match, no tensor growth', async () => {
    const before = requests.length;
    check('wasm', await runInPage({ backend: 'wasm', wasmPaths: `${origin}/wasm/` }));
    const wasmFetched = requests.slice(before).filter((p) => p.startsWith('/wasm/'));
    expect(wasmFetched.length).toBeGreaterThan(0);
    // The auto and webgl pages before it never fetched a binary: wasm was not tried there.
    expect(requests.slice(0, before).some((p) => p.startsWith('/wasm/'))).toBe(false);
  }, 150_000);

  // SwiftShader's WebGPU is much slower than its WebGL here (about 65 s for all eight sizes, twice),
  // so three sizes, to keep the file well under three minutes.
  const WEBGPU_SIZES = [16, 24, 30];
  it('webgpu (SwiftShader): logits match timm within 1e-3 at three patch sizes, no tensor growth', async (ctx) => {
    const run = await runInPage({ backend: 'webgpu' }, webgpuBrowser!, WEBGPU_SIZES).catch((err: Error) => {
      if (!/backend 'webgpu' is unavailable/.test(err.message)) throw err;
      console.info(`browser.test.ts: webgpu skipped, ${err.message.split('\n')[0]}`);
      return undefined;
    });
    if (!run) return ctx.skip();
    check('webgpu', run, WEBGPU_SIZES);
  }, 120_000);
});
