import { ImageInputError } from '../errors';

/** fetch with every failure (network, HTTP status) turned into IMAGE_INVALID. */
export async function fetchBlob(href: string): Promise<Blob> {
  let res: Response;
  try {
    res = await fetch(href);
  } catch (err) {
    throw new ImageInputError('IMAGE_INVALID', `Could not fetch image ${shorten(href)}: network error.`, {
      cause: err,
    });
  }
  if (!res.ok) {
    throw new ImageInputError(
      'IMAGE_INVALID',
      `Could not fetch image ${shorten(href)}: HTTP ${res.status} ${res.statusText}.`.trim(),
    );
  }
  try {
    return await res.blob();
  } catch (err) {
    throw new ImageInputError('IMAGE_INVALID', `Could not read the body of ${shorten(href)}.`, {
      cause: err,
    });
  }
}

/** data: URLs can be megabytes long; keep messages readable. */
export function shorten(href: string): string {
  return href.length > 120 ? `${href.slice(0, 100)}…` : href;
}
