/**
 * Imports a Node-only module (a built-in or the optional peer `sharp`) at run time.
 *
 * The specifier is a variable so that browser bundlers (esbuild, Vite's dep optimiser, webpack)
 * do not try to resolve or bundle it: a literal `import('node:fs/promises')` makes esbuild fail
 * with "Could not resolve" for platform=browser, and a literal `import('sharp')` pulls sharp's
 * Node internals into the bundle when it is installed. These calls only run on Node code paths.
 */
export function nodeImport<T>(specifier: string): Promise<T> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<T>;
}
