/**
 * The application's wiring: the configuration every entry point parses once
 * ({@link handlerConfigFromEnv}, {@link cliConfigFromEnv}) and the composition root
 * ({@link createRuntime}) that builds the ports, the engine's deps, the pipelines, the registry
 * and the backend from it. Entry points (cli/, functions/, batch/, bench/) import this; nothing
 * else builds a runtime.
 */
export * from './config.js';
export { crashInjector, InjectedCrash } from './faults.js';
export { batchEntryPoint, createJobLauncher, localJobEnv } from './job-launcher.js';
export {
  backendLabel,
  createRuntime,
  queueOutbox,
  type Runtime,
  readPackageVersion,
  runtimeFor,
} from './runtime.js';
