/** Linear warm-up to `peak`, then cosine decay to `end` at `total` steps (big_vision's recipe). */
export interface Schedule {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  end?: number;
}

export function learningRate(s: Schedule, step: number): number {
  const end = s.end ?? 0;
  if (step < s.warmupSteps) return (s.peak * (step + 1)) / s.warmupSteps;
  const progress = Math.min(1, (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps));
  return end + (s.peak - end) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
