import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliConfigFromEnv, cliRuntimeConfig, handlerConfigFromEnv } from '../../../lib/app/config.js';
import { ConfigError } from '../../../lib/errors.js';

const AWS = {
  BUCKET_NAME: 'b',
  WORK_QUEUE_URL: 'https://sqs/work',
  AGGREGATE_QUEUE_URL: 'https://sqs/aggregate.fifo',
  EVENT_BUS_NAME: 'bus',
};

/** Catches the error `fn` throws (the test fails when it throws none). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('Function: handlerConfigFromEnv', () => {
  it('builds the local runtime config, with the fault plan parsed and its defaults filled in', () => {
    // Act
    const config = handlerConfigFromEnv({
      SHARDTRAIN_CLOUD: 'local',
      SHARDTRAIN_HOME: '/h',
      SHARDTRAIN_VISIBILITY_TIMEOUT: '2',
      SHARDTRAIN_FAULTS: '{"crashRate": 0.05}',
      SHARDTRAIN_KERNEL: 'typed',
    });

    // Assess: seed 1 and delayMs 0 are the documented defaults of SHARDTRAIN_FAULTS.
    expect(config).toEqual({
      cloud: 'local',
      home: '/h',
      visibilityTimeoutSeconds: 2,
      faults: { seed: 1, crashRate: 0.05, delayMs: 0 },
      backend: { kernel: 'typed' },
    });
  });

  it('builds the AWS runtime config from the stack outputs, empty values counting as unset', () => {
    const config = handlerConfigFromEnv({ ...AWS, SHARDTRAIN_FAULTS: '', SHARDTRAIN_VERSION: '1.2.3' });
    expect(config).toEqual({
      cloud: 'aws',
      bucket: 'b',
      workQueueUrl: 'https://sqs/work',
      aggregateQueueUrl: 'https://sqs/aggregate.fifo',
      eventBusName: 'bus',
      metricsNamespace: 'Shardtrain',
      backend: {},
      packageVersion: '1.2.3',
    });
  });

  it.each([
    [{ ...AWS, WORK_QUEUE_URL: '' }, 'environment variable WORK_QUEUE_URL', /is not set/],
    [{ SHARDTRAIN_CLOUD: 'local' }, 'environment variable SHARDTRAIN_HOME', /is not set/],
    [{ ...AWS, SHARDTRAIN_FAULTS: '{seed: 1' }, 'environment variable SHARDTRAIN_FAULTS', /not JSON/],
    [
      { ...AWS, SHARDTRAIN_FAULTS: '{"crashRate": 2}' },
      'environment variable SHARDTRAIN_FAULTS',
      /crashRate/,
    ],
    [
      { ...AWS, SHARDTRAIN_FAULTS: '{"crashrate": 0.1}' },
      'environment variable SHARDTRAIN_FAULTS',
      /crashrate/,
    ],
    [
      { ...AWS, SHARDTRAIN_VISIBILITY_TIMEOUT: 'soon' },
      'environment variable SHARDTRAIN_VISIBILITY_TIMEOUT',
      /seconds/,
    ],
    [{ ...AWS, SHARDTRAIN_KERNEL: 'cuda' }, 'environment variable SHARDTRAIN_KERNEL', /wasm/],
    [{ ...AWS, SHARDTRAIN_CLOUD: 'gcp' }, 'environment variable SHARDTRAIN_CLOUD', /local|aws/],
  ])('refuses %j with a ConfigError naming the variable', (env, path, problem) => {
    const error = thrown(() => handlerConfigFromEnv(env));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe(path);
    expect((error as ConfigError).message).toMatch(problem);
  });
});

describe('Function: cliConfigFromEnv', () => {
  it('takes --home over SHARDTRAIN_HOME, and the local cloud settings from the environment', () => {
    const env = {
      SHARDTRAIN_HOME: '/env-home',
      SHARDTRAIN_WORKER_THREADS: '3',
      SHARDTRAIN_VISIBILITY_TIMEOUT: '1',
    };
    const config = cliConfigFromEnv({ home: 'flag-home' }, env);
    expect(config).toEqual({
      home: resolve('flag-home'),
      cloud: 'local',
      backend: {},
      workerThreads: 3,
      visibilityTimeoutSeconds: 1,
      // Child processes (the Batch entry point run locally) start with the CLI's own environment.
      childEnv: env,
    });
    // The handlers of that home's local cloud get the same home and queue settings.
    expect(cliRuntimeConfig(config)).toEqual({
      cloud: 'local',
      home: resolve('flag-home'),
      visibilityTimeoutSeconds: 1,
      backend: {},
    });
  });

  it('refuses SHARDTRAIN_WORKER_THREADS=0 and SHARDTRAIN_CLOUD=aws without BUCKET_NAME', () => {
    expect(() => cliConfigFromEnv({}, { SHARDTRAIN_WORKER_THREADS: '0' })).toThrow(
      /SHARDTRAIN_WORKER_THREADS: .*≥ 1|SHARDTRAIN_WORKER_THREADS: .*>=1/,
    );
    expect(() => cliConfigFromEnv({}, { SHARDTRAIN_CLOUD: 'aws' })).toThrow(/BUCKET_NAME/);
  });
});
