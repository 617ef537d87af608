import { parentPort } from 'node:worker_threads';
import { DatasetStatsAccumulator } from '../stats/dataset-stats.js';
import { encodeShard } from './shard-codec.js';
import type { ShardThreadReply, ShardThreadRequest } from './shard-pipeline.js';

/**
 * Entry of a shard thread (see {@link ShardPipeline}): either the statistics of each block the
 * parsing thread hands over, in the order they come (so the results are those of one thread), or
 * the compression of each block into shard bytes.
 */
const port = parentPort!;
let accumulator: DatasetStatsAccumulator | undefined;

function reply(message: ShardThreadReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

port.on('message', (request: ShardThreadRequest) => {
  try {
    switch (request.type) {
      case 'start':
        accumulator = new DatasetStatsAccumulator(request.types, request.maxComomentColumns);
        return;
      case 'add':
        accumulator!.addBlock(request.data, request.rows);
        reply({ type: 'done', id: request.id });
        return;
      case 'encode': {
        const bytes = encodeShard(
          { rows: request.rows, cols: request.cols, data: request.data },
          request.compression,
        );
        reply({ type: 'done', id: request.id, bytes }, [bytes.buffer as ArrayBuffer]);
        return;
      }
      case 'summary':
        reply({ type: 'summary', summary: accumulator!.result() });
        return;
    }
  } catch (error) {
    reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
});
