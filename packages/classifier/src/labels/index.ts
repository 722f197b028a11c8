import { ConfigError } from '@flexivit/core';
import { IMAGENET1K_LABELS } from './imagenet1k';

export { IMAGENET1K_LABELS };

/** Named label sets shipped with the package. */
export const LABEL_SETS: Record<string, readonly string[]> = { imagenet1k: IMAGENET1K_LABELS };

/**
 * Resolve labels for `numClasses` outputs: a label array, a shipped set's name, or (when absent)
 * ImageNet-1k for 1000 classes and `class_0 …` otherwise.
 */
export function resolveLabels(
  labels: readonly string[] | string | undefined,
  numClasses: number,
): readonly string[] {
  if (labels === undefined) {
    return numClasses === 1000
      ? IMAGENET1K_LABELS
      : Array.from({ length: numClasses }, (_, i) => `class_${i}`);
  }
  const list = typeof labels === 'string' ? LABEL_SETS[labels] : labels;
  if (!list) {
    throw new ConfigError(
      'ARGUMENT_INVALID',
      `Unknown label set "${labels}"; shipped sets: ${Object.keys(LABEL_SETS).join(', ')}.`,
    );
  }
  if (list.length !== numClasses) {
    throw new ConfigError(
      'ARGUMENT_INVALID',
      `The model has ${numClasses} classes but ${list.length} labels were given.`,
    );
  }
  return list;
}
