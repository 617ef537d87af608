/**
 * S3's request rate per prefix: "at least 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests
 * per second per partitioned Amazon S3 prefix" (Amazon S3 User Guide, "Best practices design
 * patterns: optimizing Amazon S3 performance"). Past it S3 answers 503 Slow Down; here a request
 * over the rate waits its turn instead (an optimistic retry), and the wait is counted.
 */
export const S3_REQUESTS_PER_SECOND = { put: 3500, get: 5500 } as const;

export type S3RequestClass = keyof typeof S3_REQUESTS_PER_SECOND;

/** The prefix S3 partitions by, taken as the key up to its last `/`. */
export function prefixOf(key: string): string {
  const i = key.lastIndexOf('/');
  return i < 0 ? '' : key.slice(0, i + 1);
}

/** Per-prefix admission at S3's rate, with the peak one-second count and the throttling waits. */
export class S3RequestRate {
  /** Seconds requests spent waiting for their prefix's rate, summed. */
  public throttledSeconds = 0;
  /** Most requests of one class on one prefix within any one-second window. */
  public peakPerSecond = 0;
  private readonly nextFree = new Map<string, number>();
  private readonly recent = new Map<string, number[]>();

  public constructor(
    private readonly limits: Readonly<Record<S3RequestClass, number>> = S3_REQUESTS_PER_SECOND,
  ) {}

  /** Seconds a request of `cls` on `key` issued at `now` waits before S3 serves it. */
  public admit(cls: S3RequestClass, key: string, now: number): number {
    const id = `${cls} ${prefixOf(key)}`;
    const at = Math.max(now, this.nextFree.get(id) ?? 0);
    this.nextFree.set(id, at + 1 / this.limits[cls]);
    const window = this.recent.get(id) ?? [];
    window.push(at);
    while (window.length > 0 && window[0]! <= at - 1) window.shift();
    this.recent.set(id, window);
    this.peakPerSecond = Math.max(this.peakPerSecond, window.length);
    this.throttledSeconds += at - now;
    return at - now;
  }
}
