import type { TrainProgress } from '../core/model/train';

/**
 * Training progress for a terminal: a redrawn bar when stdout is a TTY, otherwise one plain line
 * per epoch (logs and CI).
 */
export class ProgressReporter {
  private lastEpochLogged = 0;
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get interactive(): boolean {
    return Boolean(this.stream.isTTY);
  }

  phase(message: string): void {
    this.clear();
    this.stream.write(`${message}\n`);
  }

  training(p: TrainProgress): void {
    const details = `loss ${p.loss.toFixed(3)} (rec ${p.reconstruction.toFixed(3)}, kl ${p.kl.toFixed(3)})` +
      (p.epsilon !== undefined ? `, epsilon ${p.epsilon.toFixed(2)}` : '') +
      `, ${Math.round(p.rowsPerSecond).toLocaleString('en-GB')} rows/s, ETA ${duration(p.etaSeconds)}`;
    if (this.interactive) {
      const width = 24;
      const fraction = ((p.epoch - 1) * p.stepsPerEpoch + p.step) / (p.epochs * p.stepsPerEpoch);
      const filled = Math.round(fraction * width);
      const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
      const line = `epoch ${p.epoch}/${p.epochs} [${bar}] ${details}`;
      const columns = this.stream.columns ?? 120;
      this.stream.write(`\r${line.slice(0, columns - 1).padEnd(Math.min(columns - 1, line.length))}\x1b[K`);
      this.drawn = true;
    } else if (p.step === p.stepsPerEpoch && p.epoch > this.lastEpochLogged) {
      this.lastEpochLogged = p.epoch;
      this.stream.write(`epoch ${p.epoch}/${p.epochs}: ${details}\n`);
    }
  }

  clear(): void {
    if (this.drawn) {
      this.stream.write('\r\x1b[K');
      this.drawn = false;
    }
  }
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(s % 60).padStart(2, '0')}`;
}
