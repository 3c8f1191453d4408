/**
 * A one-line progress bar on stderr: redrawn in place on a terminal, printed every few seconds otherwise
 * (so logs of non-interactive runs stay readable).
 */
import { formatDuration } from '../util/duration.js';

export interface ProgressState {
  /** 0…1 */
  readonly fraction: number;
  readonly label: string;
  readonly eta?: number;
}

export class ProgressBar {
  private lastPrint = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quietSeconds = 10,
  ) {}

  update(state: ProgressState): void {
    const width = 24;
    const filled = Math.round(Math.min(1, Math.max(0, state.fraction)) * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(state.fraction * 100).toFixed(0).padStart(3)}%`;
    const eta = state.eta === undefined ? '' : ` ETA ${formatDuration(state.eta)}`;
    const line = `${bar} ${state.label}${eta}`;
    if (this.stream.isTTY) {
      this.stream.write(
        `\r${line.slice(0, (this.stream.columns || 120) - 1).padEnd(Math.min(line.length, (this.stream.columns || 120) - 1))}\x1b[K`,
      );
      this.drawn = true;
      return;
    }
    const now = performance.now() / 1000;
    if (now - this.lastPrint >= this.quietSeconds || state.fraction >= 1) {
      this.stream.write(`${line}\n`);
      this.lastPrint = now;
    }
  }

  /** Prints a message on its own line (keeping the bar below it on a terminal). */
  log(message: string): void {
    if (this.drawn && this.stream.isTTY) this.stream.write('\r\x1b[K');
    this.stream.write(`${message}\n`);
  }

  done(): void {
    if (this.drawn && this.stream.isTTY) this.stream.write('\n');
    this.drawn = false;
  }
}
