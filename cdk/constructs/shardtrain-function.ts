import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from './nag.js';

/** Repository root (this file lives in `cdk/constructs/`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Every default a shardtrain Lambda function gets, in ONE place.
 *
 * Node.js 22 on Graviton (arm64: cheaper per GB-second, and the tfjs wasm backend has no
 * x86-only code), X-Ray active tracing, one month of logs.
 */
export const FUNCTION_DEFAULTS = {
  runtime: lambda.Runtime.NODEJS_22_X,
  architecture: lambda.Architecture.ARM_64,
  tracing: lambda.Tracing.ACTIVE,
  memorySize: 1024,
  timeout: Duration.seconds(60),
  logRetention: logs.RetentionDays.ONE_MONTH,
  environment: {
    // The wasm SIMD kernel, as on a laptop: the same bits locally and on Lambda (its threads use
    // the second vCPU a function gets from 1,769 MB). Its gradient-simd.wasm ships next to the
    // bundle, and so do tfjs's wasm files for SHARDTRAIN_KERNEL=tfjs (tfjs on wasm, float32).
    SHARDTRAIN_KERNEL: 'wasm',
    POWERTOOLS_SERVICE_NAME: 'shardtrain',
    POWERTOOLS_METRICS_NAMESPACE: 'Shardtrain',
    NODE_OPTIONS: '--enable-source-maps',
  },
} as const;

/**
 * ESM bundles have no `require`, `__filename` or `__dirname`; some dependencies (CommonJS
 * packages, and the Emscripten loader of tfjs-backend-wasm, which finds its `.wasm` files
 * next to `__dirname`) need them. Aliased imports so they cannot clash with bundled names.
 */
export const ESM_BANNER = [
  "import { createRequire as __stCreateRequire } from 'node:module';",
  "import { fileURLToPath as __stFileURLToPath } from 'node:url';",
  "import { dirname as __stDirname } from 'node:path';",
  'const require = __stCreateRequire(import.meta.url);',
  'const __filename = __stFileURLToPath(import.meta.url);',
  'const __dirname = __stDirname(__filename);',
].join(' ');

/** The wasm binaries of `@tensorflow/tfjs-backend-wasm` (copied next to every bundle). */
export const TFJS_WASM_DIR = join('node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
/** uPlot's browser build, copied into each function zip for the job report (lib/report/assets.ts). */
export const UPLOT_DIST_DIR = join('node_modules', 'uplot', 'dist');

/** The gradient kernel's binary, assembled by `npm run build` (copied next to every bundle). */
export const GRADIENT_WASM = join('dist', 'lib', 'optim', 'kernels', 'gradient-simd.wasm');

/**
 * Modules never bundled. `@tensorflow/tfjs-node(-gpu)` is an optional native dependency
 * (libtensorflow), absent on Lambda: the code falls back to the wasm backend.
 * The AWS SDK v3 IS bundled (pinned versions instead of whatever the runtime ships).
 */
/**
 * Left out of the bundle: tfjs-node (an optional native dependency, unused on Lambda) and
 * better-sqlite3 (the local cloud's queue, loaded only when SHARDTRAIN_CLOUD=local).
 */
export const EXTERNAL_MODULES = [
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  'better-sqlite3',
] as const;

/**
 * Shell commands that bundle each `worker_threads` entry (relative to the repository root) into
 * `<outputDir>/<name>.mjs`, next to the handler's bundle: `NodejsFunction` bundles one entry, and
 * a thread started from `new URL('./x.js', import.meta.url)` would find nothing in the zip
 * (`ShardPipeline` then stays single-threaded). The handler's code looks for the `.mjs` sibling.
 */
export function threadBundleCommands(
  inputDir: string,
  outputDir: string,
  entries: readonly string[],
): string[] {
  return entries.map((entry) => {
    const name = basename(entry).replace(/\.[cm]?[jt]s$/, '');
    return [
      `"${join(inputDir, 'node_modules', '.bin', 'esbuild')}"`,
      `"${join(inputDir, entry)}"`,
      '--bundle --platform=node --format=esm --target=node22 --minify --keep-names',
      `--banner:js="${ESM_BANNER}"`,
      `--outfile="${join(outputDir, `${name}.mjs`)}"`,
    ].join(' ');
  });
}

export interface ShardtrainFunctionProps {
  /** Handler entry file, absolute or relative to the repository root (must `export const handler`). */
  readonly entry: string;
  /** @default - no description */
  readonly description?: string;
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Merged over {@link FUNCTION_DEFAULTS}.environment. @default - the defaults only */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default - no reserved concurrency (shares the account pool) */
  readonly reservedConcurrentExecutions?: number;
  /** What happens to the log group when the stack is deleted. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * `worker_threads` entry files the handler starts, bundled beside it ({@link threadBundleCommands}).
   * @default - none
   */
  readonly threadEntries?: readonly string[];
}

/**
 * A shardtrain Lambda function: `NodejsFunction` bundled locally with esbuild (never Docker),
 * ESM + source maps, tfjs wasm binaries shipped in the zip, its own log group with retention,
 * and its own role that can write only to that log group (no AWS managed policy).
 *
 * Why zip + wasm and not a container image with tfjs-node: the models are small (linear,
 * logistic, softmax, small MLPs) so the wasm backend is fast enough, the zip stays a few MB
 * (cold starts ~1 s instead of pulling a 500 MB+ image with libtensorflow), and the deploy
 * needs no Docker. Large runs go to the Batch GPU job, which does use tfjs-node-gpu.
 *
 * @example
 * const worker = new ShardtrainFunction(this, 'Worker', { entry: 'functions/worker.ts', timeout: Duration.minutes(2) });
 * bucket.grantRead(worker.function, 'processed/*');
 */
export class ShardtrainFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly logGroup: logs.LogGroup;
  public readonly role: iam.Role;
  /** The `worker_threads` entries bundled beside the handler. */
  public readonly threadEntries: readonly string[];

  public constructor(scope: Construct, id: string, props: ShardtrainFunctionProps) {
    super(scope, id);
    this.threadEntries = props.threadEntries ?? [];
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? FUNCTION_DEFAULTS.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // Own role instead of AWSLambdaBasicExecutionRole (logs:* on every log group).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `shardtrain ${id} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: resolve(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: FUNCTION_DEFAULTS.runtime,
      architecture: FUNCTION_DEFAULTS.architecture,
      tracing: FUNCTION_DEFAULTS.tracing,
      memorySize: props.memorySize ?? FUNCTION_DEFAULTS.memorySize,
      timeout: props.timeout ?? FUNCTION_DEFAULTS.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      logGroup: this.logGroup,
      role: this.role,
      environment: { ...FUNCTION_DEFAULTS.environment, ...props.environment },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_BANNER,
        sourceMap: true,
        sourcesContent: false,
        minify: true,
        keepNames: true,
        externalModules: [...EXTERNAL_MODULES],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // The Emscripten loader resolves `tfjs-backend-wasm*.wasm` relative to `__dirname`;
          // WasmSimdKernel finds gradient-simd.wasm next to `import.meta.url`, the bundle.
          afterBundling: (inputDir: string, outputDir: string) => [
            `cp "${join(inputDir, TFJS_WASM_DIR)}"/*.wasm "${outputDir}"`,
            `cp "${join(inputDir, GRADIENT_WASM)}" "${outputDir}"`,
            // The report's chart library, inlined into jobs/<id>/report.html (lib/report/assets.ts).
            `cp "${join(inputDir, UPLOT_DIST_DIR)}"/uPlot.iife.min.js "${join(inputDir, UPLOT_DIST_DIR)}"/uPlot.min.css "${outputDir}"`,
            ...threadBundleCommands(inputDir, outputDir, this.threadEntries),
          ],
        },
      },
    });
    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions.',
    );
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      'Pinned to Node.js 22 on purpose: the project targets Node >= 20 and is tested on 22; move with the project, not with the newest Lambda runtime.',
    );
  }
}
