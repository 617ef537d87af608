import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InfrastructureError, ProtocolError } from '../../errors.js';
import type { EventSink, ShardtrainEvent } from '../../ports.js';

/** Options of {@link FileEventSink}. */
export interface FileEventSinkOptions {
  /** JSON Lines file the events are appended to; created with its folder on first publish. */
  readonly path: string;
}

/**
 * `EventSink` that appends one JSON line per event to a file: the laptop stand-in for
 * EventBridge. Each event is one `O_APPEND` write, so lines from several processes do not mix
 * (for lines up to the filesystem's atomic append size, in practice far above an event's size).
 *
 * @example
 * ```ts
 * const events = new FileEventSink({ path: '.shardtrain/events.jsonl' });
 * await events.publish({ type: 'AliasMoved', time: new Date().toISOString(), detail: { alias: 'champion' } });
 * const all = await events.readEvents();
 * ```
 */
export class FileEventSink implements EventSink {
  public readonly path: string;

  public constructor(options: FileEventSinkOptions) {
    this.path = path.resolve(options.path);
  }

  public async publish(event: ShardtrainEvent): Promise<void> {
    const line = `${JSON.stringify({ type: event.type, time: event.time, detail: event.detail })}\n`;
    try {
      await fs.mkdir(path.dirname(this.path), { recursive: true });
      await fs.appendFile(this.path, line, 'utf8');
    } catch (error) {
      throw new InfrastructureError(`cannot append event "${event.type}" to ${this.path}`, { cause: error });
    }
  }

  /**
   * Every event published so far, oldest first; `[]` when the file does not exist.
   * A last line without its newline (a writer killed mid-append) is skipped.
   */
  public async readEvents(): Promise<ShardtrainEvent[]> {
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new InfrastructureError(`cannot read events from ${this.path}`, { cause: error });
    }
    const lines = text.split('\n');
    lines.pop(); // '' after the final newline, or an unfinished line
    return lines.map((line, index) => {
      try {
        const event = JSON.parse(line) as ShardtrainEvent;
        if (typeof event.type !== 'string' || typeof event.time !== 'string')
          throw new Error('no type or time');
        return event;
      } catch (error) {
        throw new ProtocolError(`${this.path} line ${index + 1} is not an event: ${line.slice(0, 80)}`, {
          cause: error,
        });
      }
    });
  }
}
