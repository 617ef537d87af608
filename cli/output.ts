import cliProgress from 'cli-progress';

/** Where the CLI writes; tests pass their own to capture output. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  readonly isTty: boolean;
}

/**
 * Thrown by {@link processIo}'s `out` once standard output is closed (`shardtrain predict | head`):
 * the command stops and the CLI exits 0 without a message, as `head` users expect.
 */
export class OutputClosedError extends Error {
  public constructor() {
    super('standard output was closed');
    this.name = 'OutputClosedError';
  }
}

let stdoutClosed = false;
let watchingStdout = false;
function writeStdout(text: string): void {
  if (!watchingStdout) {
    watchingStdout = true;
    // Without a listener an EPIPE is an "Unhandled 'error' event" that kills the process.
    process.stdout.on('error', () => {
      stdoutClosed = true;
    });
  }
  if (stdoutClosed) throw new OutputClosedError();
  process.stdout.write(text);
}

export const processIo: Io = {
  out: (line) => writeStdout(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  isTty: process.stderr.isTTY === true,
};

/** A progress bar on a terminal (stderr), nothing otherwise. */
export function progressBar(
  io: Io,
  total: number,
  label: string,
): { update(v: number, info: string): void; stop(): void } {
  if (!io.isTty) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {info}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { info: '' });
  return {
    update: (v, info) => bar.update(Math.min(v, total), { info }),
    stop: () => bar.stop(),
  };
}

/** Formats a number for humans: 4 significant digits, no exponent for ordinary sizes. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : Number(v.toPrecision(5)).toString();
}
