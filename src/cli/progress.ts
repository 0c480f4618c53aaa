/** A timed stage. */
export interface StageTiming {
  readonly stage: string;
  readonly ms: number;
}

/**
 * Runs stages and records their wall time. An asynchronous stage still running after `noticeMs` (default
 * 1 s) gets a line on stderr; every stage that took that long gets a line when it ends, so a person
 * watching knows what it is doing.
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
      // a synchronous stage blocks the timer, so a slow one is reported when it ends
      if (noticed || ms >= this.noticeMs) this.out?.write(`✓ ${stage} done in ${(ms / 1000).toFixed(1)} s\n`);
    }
  }

  get totalMs(): number {
    return this.timings.reduce((s, x) => s + x.ms, 0);
  }
}
