import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running the module `name` that sits next to the module at `base` (its
 * `import.meta.url`): the compiled `name.js`, or, when tsad runs from its TypeScript sources (tsx,
 * vitest), `name.ts` loaded through tsx.
 */
export function startModuleWorker(base: string, name: string, options: WorkerOptions = {}): Worker {
  if (base.endsWith('.ts')) {
    const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const entry = JSON.stringify(new URL(`./${name}.ts`, base).href);
    return new Worker(`import(${api}).then((m) => { m.register(); return import(${entry}); });`, {
      ...options,
      eval: true,
    });
  }
  return new Worker(new URL(`./${name}.js`, base), options);
}
