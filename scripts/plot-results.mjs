#!/usr/bin/env node
// Tabulate and plot the Fashion-MNIST study: docs/results/eval-*.json → results.md, accuracy.svg.
// Plain SVG written by hand (no plotting dependency): accuracy vs patch size, accuracy vs latency.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'docs/results';
const runsDir = process.argv[3] ?? 'runs';
const series = readdirSync(dir)
  .filter((f) => /^eval-.*\.json$/.test(f))
  .map((f) => {
    const [, run, resize] = /^eval-(.*)-(pi|bilinear)\.json$/.exec(f);
    const data = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    return {
      run,
      resize,
      label: `${run.replace('fashion-', '')} (${resize === 'pi' ? 'PI-resize' : 'bilinear'})`,
      results: data.results,
    };
  })
  .sort((a, b) => a.label.localeCompare(b.label));
const colours = ['#d62728', '#1f77b4', '#6baed6', '#2ca02c', '#98df8a', '#9467bd'];

function chart({ title, xLabel, xs, logX, points }) {
  const [W, H, L, R, T, B] = [460, 320, 56, 12, 28, 44];
  const legendTop = H + 8; // legend below the axes, clear of the lines
  const allX = [...points.flatMap((p) => p.pts.map((q) => q.x)), ...xs];
  const [x0, x1] = [Math.min(...allX), Math.max(...allX)];
  const fx = (x) =>
    L +
    ((logX ? Math.log(x) - Math.log(x0) : x - x0) / (logX ? Math.log(x1) - Math.log(x0) : x1 - x0)) *
      (W - L - R);
  const fy = (y) => T + (1 - y) * (H - T - B);
  let s = `<g><text x="${L + (W - L - R) / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${title}</text>`;
  for (let y = 0; y <= 1.0001; y += 0.1) {
    s += `<line x1="${L}" x2="${W - R}" y1="${fy(y)}" y2="${fy(y)}" stroke="#eee"/><text x="${L - 6}" y="${fy(y) + 4}" text-anchor="end" font-size="10">${Math.round(y * 100)}%</text>`;
  }
  for (const x of xs)
    s += `<text x="${fx(x)}" y="${H - B + 14}" text-anchor="middle" font-size="10">${x}</text>`;
  s += `<text x="${L + (W - L - R) / 2}" y="${H - 8}" text-anchor="middle" font-size="11">${xLabel}</text>`;
  s += `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>`;
  points.forEach((p, i) => {
    const c = colours[i % colours.length];
    const d = p.pts.map((q, j) => `${j ? 'L' : 'M'}${fx(q.x).toFixed(1)},${fy(q.y).toFixed(1)}`).join(' ');
    s += `<path d="${d}" fill="none" stroke="${c}" stroke-width="2" ${p.dashed ? 'stroke-dasharray="5,3"' : ''}/>`;
    for (const q of p.pts)
      s += `<circle cx="${fx(q.x).toFixed(1)}" cy="${fy(q.y).toFixed(1)}" r="3" fill="${c}"/>`;
    const lx = L + (i % 2) * 200;
    const ly = legendTop + 14 * Math.floor(i / 2);
    s += `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${c}" stroke-width="2" ${p.dashed ? 'stroke-dasharray="5,3"' : ''}/><text x="${lx + 24}" y="${ly}" font-size="10" fill="#222">${p.label}</text>`;
  });
  return `${s}</g>`;
}

const sizes = [...new Set(series.flatMap((s) => s.results.map((r) => r.patchSize)))].sort((a, b) => a - b);
const accVsPatch = chart({
  title: 'Fashion-MNIST test accuracy vs patch size',
  xLabel: 'patch size (48 px input)',
  xs: sizes,
  logX: true,
  points: series.map((s) => ({
    label: s.label,
    dashed: s.resize === 'bilinear',
    pts: s.results.map((r) => ({ x: r.patchSize, y: r.accuracy })),
  })),
});
// Latency per image: measured back to back on an idle machine (latency.json) when present, else
// from the evaluation's throughput (batch 250, one core, wasm).
const latencyFile = join(dir, 'latency.json');
const measured = existsSync(latencyFile) ? JSON.parse(readFileSync(latencyFile, 'utf8')).result : {};
const msPerImage = (run, r) => measured[run]?.[r.patchSize]?.msPerImage ?? 1000 / r.imgPerSec;
const latencies = series.flatMap((s) => s.results.map((r) => msPerImage(s.run, r)));
const ticks = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20].filter(
  (t) => t >= Math.min(...latencies) / 1.5 && t <= Math.max(...latencies) * 1.5,
);
const accVsLatency = chart({
  title: 'Accuracy vs measured latency',
  xLabel: 'ms per image (batch 250, one core, tfjs-wasm)',
  xs: ticks,
  logX: true,
  points: series
    .filter((s) => s.resize === 'pi')
    .map((s) => ({
      label: s.label,
      pts: s.results.map((r) => ({ x: msPerImage(s.run, r), y: r.accuracy })).sort((a, b) => a.x - b.x),
    })),
});
writeFileSync(
  join(dir, 'accuracy.svg'),
  `<svg xmlns="http://www.w3.org/2000/svg" width="940" height="380" font-family="sans-serif" role="img"><title>Fashion-MNIST test accuracy of FlexiViT and fixed-patch ViTs vs patch size and vs latency</title><rect width="100%" height="100%" fill="white"/>${accVsPatch}<g transform="translate(470,0)">${accVsLatency}</g></svg>\n`,
);

let md = `| model (resize) | ${sizes.map((p) => `ps ${p}`).join(' | ')} |\n|---|${sizes.map(() => '---').join('|')}|\n`;
for (const s of series) {
  const by = Object.fromEntries(s.results.map((r) => [r.patchSize, r]));
  md += `| ${s.label} | ${sizes.map((p) => (by[p] ? `${(100 * by[p].accuracy).toFixed(1)}%` : '–')).join(' | ')} |\n`;
}
md += `\nLatency (ms per image, batch 250, one core, tfjs-wasm):\n\n| model | ${sizes.map((p) => `ps ${p}`).join(' | ')} |\n|---|${sizes.map(() => '---').join('|')}|\n`;
for (const s of series.filter((x) => x.resize === 'pi')) {
  const by = Object.fromEntries(s.results.map((r) => [r.patchSize, r]));
  md += `| ${s.run.replace('fashion-', '')} | ${sizes.map((p) => (by[p] ? msPerImage(s.run, by[p]).toFixed(2) : '–')).join(' | ')} |\n`;
}
const budgets = ['fashion-flexivit', 'fashion-vit8', 'fashion-vit16']
  .map((run) => join(runsDir, run, 'run.json'))
  .filter(existsSync)
  .map((f) => JSON.parse(readFileSync(f, 'utf8')));
if (budgets.length) {
  md += `\nTraining budget (same for every model):\n\n| run | patch sizes | steps × batch | images seen | wall time |\n|---|---|---|---|---|\n`;
  for (const r of budgets) {
    md += `| ${r.config.name} | ${r.config.patchSizes.join(', ')} | ${r.step} × ${r.config.batchSize} | ${(r.step * r.config.batchSize).toLocaleString('en')} | ${(r.seconds / 60).toFixed(0)} min |\n`;
  }
}
writeFileSync(join(dir, 'table.md'), md);
process.stdout.write(md);
