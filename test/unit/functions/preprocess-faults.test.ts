import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalRuntimeConfig } from '../../../lib/app/config.js';
import { type Runtime, runtimeFor } from '../../../lib/app/index.js';
import { keys } from '../../../lib/engine/keys.js';
import { InfrastructureError } from '../../../lib/errors.js';
import { removeTemp, tempDir } from '../../support/cli.js';
import { localHandlers } from '../../support/local-handlers.js';

/**
 * The preprocess handler when the store fails: storage trouble (an InfrastructureError, a system
 * error coded `E…`) and errors that are not the project's are thrown, so Lambda retries the whole
 * event; only a refused file (a ShardtrainError about the data or the key) is final. The handler's
 * runtime is the one `runtimeFor(config)` gives the test, so a fault put on its store is the fault
 * the handler meets.
 */
describe('Function: preprocess on a failing store', () => {
  let dir: string;
  let config: LocalRuntimeConfig;
  let runtime: Runtime;
  beforeAll(async () => {
    dir = tempDir();
    config = { cloud: 'local', home: `${dir}/home`, backend: {} };
    runtime = await runtimeFor(config);
  });
  afterAll(() => {
    runtime.close();
    removeTemp(dir);
  });
  afterEach(() => vi.restoreAllMocks());

  const preprocess = (...keys: string[]) => localHandlers(config).preprocess(...keys);
  /** Puts a small good CSV as dataset `name` (each test its own: a refused upload is deleted). */
  const put = async (name: string): Promise<string> => {
    const key = `datasets/${name}/data.csv`;
    await runtime.store.put(key, 'x,y\n1,2\n3,4\n');
    return key;
  };

  it.each([
    ['infra', 'an InfrastructureError', () => new InfrastructureError('S3 answered 503 SlowDown')],
    [
      'econn',
      'a system error coded ECONNRESET',
      () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    ],
  ])(
    '%s: throws %s from reading the upload, and ingests nothing after it in the event',
    async (name, _what, make) => {
      const [faulty, next] = [await put(`${name}-a`), await put(`${name}-b`)];
      const fault = make();
      const getStream = runtime.store.getStream.bind(runtime.store);
      vi.spyOn(runtime.store, 'getStream').mockImplementation((key) =>
        key === faulty ? Promise.reject(fault) : getStream(key),
      );
      await expect(preprocess(faulty, next)).rejects.toBe(fault);
      // The upload is left as it was, to be retried: still there, still `processing`.
      expect(await runtime.store.head(faulty)).toBeDefined();
      const statuses = await runtime.store.list(keys.uploadStatusPrefix(`${name}-a`));
      expect(statuses).toHaveLength(1);
      const status = JSON.parse(new TextDecoder().decode((await runtime.store.get(statuses[0]!.key))!.body));
      expect(status.state).toBe('processing');
      // The second record was never reached: no status of it exists.
      expect(await runtime.store.list(keys.uploadStatusPrefix(`${name}-b`))).toEqual([]);
    },
  );

  it('throws an error that is not the project’s from before the upload is read (the status write)', async () => {
    const key = await put('plain');
    const fault = new Error('socket hang up');
    const write = runtime.store.put.bind(runtime.store);
    vi.spyOn(runtime.store, 'put').mockImplementation((k, ...rest) =>
      k.startsWith(keys.uploadStatusPrefix('plain')) ? Promise.reject(fault) : write(k, ...rest),
    );
    await expect(preprocess(key)).rejects.toBe(fault);
  });

  it('goes on after a refused key or a refused file: both are final, not retried', async () => {
    // `a b` is not a dataset name (UsageError); a file that breaks in the store's stream is
    // refused as unreadable (a TypeError is about the bytes, not the storage): both swallowed.
    await runtime.store.put('datasets/a b/c.csv', 'x,y\n1,2\n');
    const [broken, good] = [await put('broken'), await put('good')];
    const getStream = runtime.store.getStream.bind(runtime.store);
    vi.spyOn(runtime.store, 'getStream').mockImplementation((key) =>
      key === broken ? Promise.reject(new TypeError('body.getReader is not a function')) : getStream(key),
    );
    const out = await preprocess('datasets/a b/c.csv', broken, good);
    expect(out.map((r) => [r.dataset, r.state])).toEqual([['good', 'ready']]);
  });

  it('answers a failed partitioned version and logs nothing locally (the CLI prints the record)', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await runtime.store.put('datasets/parted/v1/part-0.csv', 'x,y\n1\n');
    await runtime.store.put('datasets/parted/v1/_SUCCESS', '');
    expect(await preprocess('datasets/parted/v1/part-0.csv')).toEqual([]);
    const out = await preprocess('datasets/parted/v1/_SUCCESS');
    expect(out.map((r) => [r.dataset, r.state])).toEqual([['parted', 'failed']]);
    expect(logged).not.toHaveBeenCalled();
  });
});
