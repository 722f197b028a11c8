export {
  type Activation,
  type Classification,
  type ClassifierLoadOptions,
  type ClassifyOptions,
  FlexiViTClassifier,
  load,
} from './classifier';
export { ClassifierHead } from './head';
export { IMAGENET1K_LABELS, LABEL_SETS, resolveLabels } from './labels';
