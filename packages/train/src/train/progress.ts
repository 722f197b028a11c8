/** One status line: step, patch size, loss, lr, img/s and ETA; redrawn in place on a terminal. */
export class Progress {
  private last = 0;
  constructor(
    private readonly total: number,
    private readonly write: (s: string) => void = (s) => process.stderr.write(s),
    private readonly tty = Boolean(process.stderr.isTTY),
  ) {}

  update(
    step: number,
    info: { loss: number; lr: number; patchSize: number; imgPerSec: number; etaSeconds: number },
  ): void {
    const now = Date.now();
    if (!this.tty && now - this.last < 10_000 && step !== this.total) return; // a line every 10 s in logs
    this.last = now;
    const width = 24;
    const done = Math.round((width * step) / this.total);
    const eta = new Date(Math.max(0, info.etaSeconds) * 1000).toISOString().slice(11, 19);
    const line =
      `[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${step}/${this.total} ps ${String(info.patchSize).padStart(2)} ` +
      `loss ${info.loss.toFixed(4)} lr ${info.lr.toExponential(2)} ${info.imgPerSec.toFixed(0)} img/s ETA ${eta}`;
    this.write(this.tty ? `\r${line}` : `${line}\n`);
  }

  message(text: string): void {
    this.write(this.tty ? `\r\x1b[K${text}\n` : `${text}\n`);
  }
}
