#!/usr/bin/env bash
# The Fashion-MNIST study behind docs/results (paper Fig. 1 and 3, small scale): train a FlexiViT
# over patch sizes {4,6,8,12,16,24} and two standard ViTs (patch 8, patch 16) with the same budget,
# evaluate every model at every patch size on the 10,000 test images, then tabulate and plot.
# Long: ~1.5 h on 2 cores (two runs at a time). Resumable: re-running continues unfinished runs.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
OUT=docs/results
SIZES=4,6,8,12,16,24
flexivit() { node apps/cli/dist/bin.js "$@"; }
mkdir -p "$RUNS" "$OUT"
flexivit train --config fashion-flexivit --out "$RUNS/fashion-flexivit" > "$RUNS/fashion-flexivit.json" &
flexivit train --config fashion-vit8 --out "$RUNS/fashion-vit8" > "$RUNS/fashion-vit8.json"
flexivit train --config fashion-vit16 --out "$RUNS/fashion-vit16" > "$RUNS/fashion-vit16.json"
wait
for run in fashion-flexivit fashion-vit8 fashion-vit16; do
  flexivit eval --weights "$RUNS/$run/model.npz" --patch-sizes $SIZES --json > "$OUT/eval-$run-pi.json"
done
for run in fashion-vit8 fashion-vit16; do
  flexivit eval --weights "$RUNS/$run/model.npz" --patch-sizes $SIZES --resize bilinear --json > "$OUT/eval-$run-bilinear.json"
done
node scripts/measure-latency.mjs "$RUNS" "$OUT"
node scripts/plot-results.mjs "$OUT" "$RUNS"
