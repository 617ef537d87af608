import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { type GradientKernel, selectBackend } from '../optim/index.js';
import {
  calibrateKernel,
  calibrateMlp,
  DEFAULT_COST_MODEL,
  type KernelCalibration,
} from '../planner/index.js';

const calibrationSchema = z.object({
  v: z.literal(1),
  kernel: z.string(),
  machine: z.string(),
  rows: z.number(),
  features: z.number(),
  repetitions: z.number(),
  seconds: z.number(),
  rowFeaturesPerSecond: z.number().positive(),
  measuredAt: z.string(),
});

/** This machine, as the calibration cache names it: host, CPU model and core count. */
export function machineKey(): string {
  const cpus = os.cpus();
  const raw = `${os.hostname()}-${cpus[0]?.model ?? 'cpu'}-${cpus.length}c`;
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120);
}

/** Options of {@link hostCalibration} and {@link hostMlpCalibration}. */
export interface HostCalibrationOptions {
  /** Measure again even when a cached figure exists (`plan --calibrate`). @default false */
  readonly fresh?: boolean;
  /**
   * Measure (about 0.3 s) when nothing usable is cached. With false, a missing cache gives the
   * nominal figure (kernel) or undefined (mlp), for a placement that was asked for. @default true
   */
  readonly measure?: boolean;
  /** The kernel to measure. @default the one `selectBackend()` picks */
  readonly kernel?: GradientKernel;
}

async function readCached(file: string): Promise<KernelCalibration | undefined> {
  try {
    return calibrationSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return undefined; // missing or unreadable: measure again
  }
}

async function writeCached(dir: string, file: string, calibration: KernelCalibration): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Handler threads of one local cloud may measure at once: each writes its own temp file.
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(calibration, null, 2)}\n`);
  await rename(tmp, file);
}

/**
 * The gradient kernel's measured throughput on this machine: read from
 * `<home>/calibration/<machine>.json`, or measured (about 0.3 s) on first use, when the kernel
 * changed, or when `fresh` is set. The CLI's `train`/`plan` and the runtime's planner (pipelines,
 * train on upload) read the same file, so a job is priced at the same rate whoever starts it.
 */
export async function hostCalibration(
  home: string,
  options: HostCalibrationOptions = {},
): Promise<KernelCalibration> {
  const machine = machineKey();
  const dir = join(home, 'calibration');
  const file = join(dir, `${machine}.json`);
  if (options.measure === false) {
    // The cached figure if there is one, else the cost model's per-vCPU figure × cores.
    return (
      (await readCached(file)) ?? {
        v: 1,
        kernel: 'nominal',
        machine,
        rows: 0,
        features: 0,
        repetitions: 0,
        seconds: 0,
        rowFeaturesPerSecond: DEFAULT_COST_MODEL.rowFeaturesPerVcpuSecond * os.availableParallelism(),
        measuredAt: new Date(0).toISOString(),
      }
    );
  }
  const kernel = options.kernel ?? (await selectBackend()).kernel;
  if (options.fresh !== true) {
    const cached = await readCached(file);
    if (cached?.kernel === kernel.name && cached.machine === machine) return cached;
  }
  const calibration = calibrateKernel(kernel, { machine });
  await writeCached(dir, file, calibration);
  return calibration;
}

/**
 * The MLP kernel's measured rate on this machine (multiply-adds/s, `calibrateMlp`): read from
 * `<home>/calibration/<machine>.mlp.json`, or measured (about 0.3 s) on first use or when
 * `fresh`; with `measure` false and no cache, undefined (the cost model's nominal figure prices it).
 */
export async function hostMlpCalibration(
  home: string,
  options: Omit<HostCalibrationOptions, 'kernel'> = {},
): Promise<KernelCalibration | undefined> {
  const machine = machineKey();
  const dir = join(home, 'calibration');
  const file = join(dir, `${machine}.mlp.json`);
  if (options.fresh !== true || options.measure === false) {
    const cached = await readCached(file);
    if (cached?.machine === machine) return cached;
    if (options.measure === false) return undefined;
  }
  const calibration = calibrateMlp({ machine });
  await writeCached(dir, file, calibration);
  return calibration;
}
