import { describe, expect, it } from 'vitest';
import { LazyQueue } from '../../../lib/app/lazy-queue.js';
import type { Queue } from '../../../lib/ports.js';

/** A queue that records the calls it gets. */
function recordingQueue(calls: string[]): Queue {
  return {
    name: 'work',
    fifo: false,
    send: async (body) => {
      calls.push(`send ${body}`);
      return { messageId: 'm1' };
    },
    sendBatch: async (entries) => {
      calls.push(`sendBatch ${entries.length}`);
    },
    receive: async () => {
      calls.push('receive');
      return [];
    },
    delete: async (h) => {
      calls.push(`delete ${h}`);
    },
    changeVisibility: async (h, s) => {
      calls.push(`changeVisibility ${h} ${s}`);
    },
    depth: async () => {
      calls.push('depth');
      return { visible: 1, inFlight: 2, delayed: 3 };
    },
  };
}

describe('Class: LazyQueue', () => {
  it('opens nothing until the first call, then opens once and forwards every call', async () => {
    // Prepare
    const calls: string[] = [];
    let opened = 0;
    const queue = new LazyQueue('work', false, async () => {
      opened++;
      return recordingQueue(calls);
    });

    // Act / Assess: name and fifo need no queue
    expect([queue.name, queue.fifo, opened]).toEqual(['work', false, 0]);
    expect(await queue.send('a')).toEqual({ messageId: 'm1' });
    await queue.sendBatch([{ body: 'b' }, { body: 'c' }]);
    expect(await queue.receive()).toEqual([]);
    await queue.delete('h1');
    await queue.changeVisibility('h2', 30);
    expect(await queue.depth()).toEqual({ visible: 1, inFlight: 2, delayed: 3 });
    expect(opened).toBe(1);
    expect(calls).toEqual([
      'send a',
      'sendBatch 2',
      'receive',
      'delete h1',
      'changeVisibility h2 30',
      'depth',
    ]);
  });

  it('fails each call with the error of opening', async () => {
    const queue = new LazyQueue('work', false, () => Promise.reject(new Error('no database')));
    await expect(queue.send('a')).rejects.toThrow('no database');
    await expect(queue.depth()).rejects.toThrow('no database');
  });
});
