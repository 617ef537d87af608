import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileEventSink } from '../../../../lib/adapters/local/file-event-sink.js';
import { ProtocolError } from '../../../../lib/errors.js';
import { eventSinkConformance } from '../../../support/conformance/event-sink.js';

let conformanceDir: string | undefined;
eventSinkConformance('FileEventSink (local)', {
  async create() {
    conformanceDir = await mkdtemp(path.join(tmpdir(), 'event-conf-'));
    return new FileEventSink({ path: path.join(conformanceDir, 'events.jsonl') });
  },
  published: (sink) => (sink as FileEventSink).readEvents(),
  cleanUp: () => rm(conformanceDir!, { recursive: true, force: true }),
});

describe('Class: FileEventSink', () => {
  let directory: string;
  let file: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'event-sink-'));
    file = path.join(directory, 'nested', 'events.jsonl');
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describe('Method: publish', () => {
    it('appends one JSON line per event, in order', async () => {
      // Prepare
      const sink = new FileEventSink({ path: file });
      const moved = {
        type: 'AliasMoved',
        time: '2025-01-01T00:00:00.000Z',
        detail: { alias: 'champion', to: 2 },
      };
      const created = {
        type: 'ModelVersionCreated',
        time: '2025-01-01T00:00:01.000Z',
        detail: { version: 3 },
      };

      // Act
      await sink.publish(moved);
      await sink.publish(created);

      // Assess
      const lines = (await readFile(file, 'utf8')).split('\n');
      expect(lines).toHaveLength(3); // two lines and the '' after the last newline
      expect(JSON.parse(lines[0]!)).toEqual(moved);
      expect(await sink.readEvents()).toEqual([moved, created]);
    });

    it('keeps every line whole when 50 events are published concurrently', async () => {
      const sink = new FileEventSink({ path: file });
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => sink.publish({ type: 'Tick', time: `t${i}`, detail: { i } })),
      );
      const events = await sink.readEvents();
      expect(events.map((event) => event.detail.i as number).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i),
      );
    });
  });

  describe('Method: readEvents', () => {
    it('is empty for a missing file, skips an unfinished last line and rejects a corrupt one', async () => {
      // Prepare
      const sink = new FileEventSink({ path: file });
      expect(await sink.readEvents()).toEqual([]);
      await sink.publish({ type: 'A', time: 't', detail: {} });
      await appendFile(file, '{"type":"B","ti');

      // Act / Assess
      expect((await sink.readEvents()).map((event) => event.type)).toEqual(['A']);
      await appendFile(file, '\n');
      await expect(sink.readEvents()).rejects.toBeInstanceOf(ProtocolError);
    });
  });
});
