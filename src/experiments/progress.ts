/** A timed stage. */
export interface StageTiming {
  readonly stage: string;
  readonly ms: number;
}

/**
 * Runs stages and records their wall time. A stage still running after `noticeMs` (default 1 s) gets a
 * line on stderr, and another when it ends, so a person watching knows what it is doing.
 */
export class Stages {
  readonly timings: StageTiming[] = [];
  constructor(
    private readonly out: NodeJS.WritableStream | null = process.stderr,
    private readonly noticeMs = 1000,
  ) {}

  async run<T>(stage: string, fn: () => T | Promise<T>): Promise<T> {
    const t0 = performance.now();
    let noticed = false;
    const timer = this.out
      ? setTimeout(() => {
          noticed = true;
          this.out?.write(`… ${stage} (still running)\n`);
        }, this.noticeMs)
      : undefined;
    try {
      return await fn();
    } finally {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      this.timings.push({ stage, ms });
      if (noticed) this.out?.write(`✓ ${stage} done in ${(ms / 1000).toFixed(1)} s\n`);
    }
  }

  get totalMs(): number {
    return this.timings.reduce((s, x) => s + x.ms, 0);
  }
}
