import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfrastructureError } from '../errors.js';
import type { ChartAssets } from './html.js';

const JS = 'uPlot.iife.min.js';
const CSS = 'uPlot.min.css';
let cached: ChartAssets | undefined;

/**
 * uPlot's minified script and stylesheet, read once, to inline into every page. Found through
 * the package (`node_modules/uplot/dist`), or next to the bundle in a Lambda zip (the CDK
 * function copies both files there, as it does tfjs's wasm binaries).
 *
 * Why uPlot: 51 kB minified (Chart.js ~200 kB, Vega-Lite + Vega ~800 kB, Observable Plot + d3
 * ~300 kB), and it draws on one canvas in a few milliseconds for 10k-point series, so a long
 * job's loss curve stays responsive; the page decimates beyond 4k points anyway.
 */
export function chartAssets(): ChartAssets {
  if (cached !== undefined) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  const dirs: string[] = [here];
  try {
    dirs.unshift(dirname(createRequire(import.meta.url).resolve(`uplot/dist/${JS}`)));
  } catch {
    // Not installed as a package: the Lambda bundle, where the files sit next to the code.
  }
  const dir = dirs.find((d) => existsSync(join(d, JS)) && existsSync(join(d, CSS)));
  if (dir === undefined) {
    throw new InfrastructureError(`the chart library (uplot/dist/${JS}) is missing; reinstall shardtrain`);
  }
  cached = { js: readFileSync(join(dir, JS), 'utf8'), css: readFileSync(join(dir, CSS), 'utf8') };
  return cached;
}
