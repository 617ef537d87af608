import { describe, expect, it } from 'vitest';
import { latestState } from '../../../lib/engine/training/job-store.js';
import { SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import { bitDifferences, referenceRun, seedDataset, seedSpec } from '../../support/engine-fixtures.js';
import { type SeededMessage, simulate } from '../../support/simulation/simulator.js';

describe('Function: simulate', () => {
  describe('Method: poison messages', () => {
    it('dead-letters each after maxReceiveCount deliveries with its reason, while a running job finishes', async () => {
      // Prepare
      const store = new SimObjectStore();
      const data = await seedDataset(store);
      const spec = seedSpec('job-live', data.manifest.version);
      const reference = await referenceRun(spec, seedDataset);
      const ghost = (type: 'work' | 'result', v = 1) =>
        JSON.stringify({ v, type, jobId: 'ghost-job', round: 0, shard: 0 });
      const messages: SeededMessage[] = [
        { queue: 'work', body: '{"v":1,"type":"work","jobId":"job-live"}' },
        { queue: 'work', body: ghost('work', 2) },
        { queue: 'work', body: ghost('work') },
        // in the live job's own FIFO group: it blocks the group until it is dead-lettered
        { queue: 'aggregate', body: '{"v":1,"type":"result","round":"x"}', groupId: 'job-live' },
        { queue: 'aggregate', body: ghost('result', 2), groupId: 'ghost-job' },
        { queue: 'aggregate', body: ghost('result'), groupId: 'ghost-job' },
      ];

      // Act
      const report = await simulate({
        seed: 21,
        store,
        jobs: [{ spec, ...data }],
        messages,
        maxReceiveCount: 3,
      });

      // Assess
      const reasons = Object.fromEntries(report.deadLetters.map((d) => [d.body, d]));
      expect(report.deadLetters).toHaveLength(6);
      for (const d of report.deadLetters) expect(d.receiveCount).toBe(3);
      expect(reasons[messages[0]!.body]!.reason).toMatch(
        /^ProtocolError: message does not follow the schema at round/,
      );
      expect(reasons[messages[1]!.body]!.reason).toMatch(/^ProtocolError: message has protocol version 2/);
      expect(reasons[messages[2]!.body]!.reason).toBe('ProtocolError: job ghost-job does not exist');
      expect(reasons[messages[3]!.body]!.reason).toMatch(
        /^ProtocolError: message does not follow the schema at jobId/,
      );
      expect(reasons[messages[4]!.body]!.reason).toMatch(/^ProtocolError: message has protocol version 2/);
      expect(reasons[messages[5]!.body]!.reason).toBe('ProtocolError: job ghost-job does not exist');
      // 6 poison messages × 3 deliveries; the live job: 20 rounds × (4 work + 4 aggregate)
      expect(report.outcomes.rejected).toBe(18);
      expect(report.invocations.total).toBe(18 + 160);
      const state = await latestState(store, spec.jobId);
      expect(state?.status.status).toBe('done');
      expect(bitDifferences(state!.params, reference.state.params)).toEqual([]);
      expect(report.registrations).toEqual(['job-live']);
    });
  });
});
