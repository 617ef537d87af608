import { existsSync } from 'node:fs';
import { type BackendSelection, selectBackend } from '../lib/optim/index.js';

/** Whether a GPU is visible to this process, and how that was decided. */
export interface GpuVisibility {
  readonly visible: boolean;
  readonly why: string;
}

/**
 * ECS (and so AWS Batch) sets NVIDIA_VISIBLE_DEVICES for a container that was given GPUs; the
 * NVIDIA container runtime maps /dev/nvidia0 into it. `SHARDTRAIN_GPU=on|off` overrides both.
 */
export function gpuVisibility(
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean = existsSync,
): GpuVisibility {
  const forced = env.SHARDTRAIN_GPU?.trim().toLowerCase();
  if (forced === 'off') return { visible: false, why: 'SHARDTRAIN_GPU=off' };
  if (forced === 'on') return { visible: true, why: 'SHARDTRAIN_GPU=on' };
  const devices = env.NVIDIA_VISIBLE_DEVICES?.trim();
  if (devices !== undefined && devices !== '' && devices !== 'void' && devices !== 'none') {
    return { visible: true, why: `NVIDIA_VISIBLE_DEVICES=${devices}` };
  }
  if (exists('/dev/nvidia0')) return { visible: true, why: '/dev/nvidia0 exists' };
  return { visible: false, why: 'no GPU visible (NVIDIA_VISIBLE_DEVICES unset, no /dev/nvidia0)' };
}

/** The kernel the Batch job computes with, and why. */
export interface JobKernel {
  readonly selection: BackendSelection;
  readonly gpu: GpuVisibility;
  /** `tfjs-gpu` (tfjs on libtensorflow with CUDA) or `cpu-deterministic` (wasm SIMD / typed arrays). */
  readonly mode: 'tfjs-gpu' | 'cpu-deterministic' | 'explicit';
  readonly why: string;
}

/**
 * The tfjs kernel on libtensorflow when a GPU is visible (the image installs tfjs-node-gpu), the
 * deterministic CPU kernel (wasm SIMD, else typed arrays: the same bits as every other runner)
 * otherwise. `SHARDTRAIN_KERNEL` / `SHARDTRAIN_BACKEND` set explicitly win. When the GPU is
 * visible but libtensorflow does not load, it says so and stays on the CPU kernel.
 */
export async function selectJobKernel(env: Readonly<Record<string, string | undefined>>): Promise<JobKernel> {
  const gpu = gpuVisibility(env);
  if ((env.SHARDTRAIN_KERNEL ?? '') !== '' || (env.SHARDTRAIN_BACKEND ?? '') !== '') {
    const selection = await selectBackend(undefined, { env });
    return { selection, gpu, mode: 'explicit', why: 'SHARDTRAIN_KERNEL/SHARDTRAIN_BACKEND set' };
  }
  if (gpu.visible) {
    const selection = await selectBackend('tensorflow', { kernel: 'tfjs', env });
    if (selection.backend === 'tensorflow') {
      return { selection, gpu, mode: 'tfjs-gpu', why: `${gpu.why}: tfjs on libtensorflow` };
    }
    const failed = selection.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ');
    const cpu = await selectBackend(undefined, { kernel: 'wasm', env });
    return { selection: cpu, gpu, mode: 'cpu-deterministic', why: `${gpu.why} but ${failed}` };
  }
  const selection = await selectBackend(undefined, { kernel: 'wasm', env });
  return { selection, gpu, mode: 'cpu-deterministic', why: gpu.why };
}
