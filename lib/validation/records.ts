import { z } from 'zod';

/**
 * A `string → value` record schema whose keys are data: every own key is kept, `__proto__`,
 * `constructor` and `toString` included (zod's `z.record` drops `__proto__` and assigns the rest
 * into a plain object). The parsed record is built with `Object.fromEntries`, which defines own
 * properties, so `record[name]` reads the column's value whatever its name.
 */
export function dataRecord<T extends z.ZodType>(value: T) {
  return z
    .custom<Record<string, unknown>>(
      (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
      'expected an object',
    )
    .transform((v, ctx): Record<string, z.output<T>> => {
      const out: [string, z.output<T>][] = [];
      for (const [k, x] of Object.entries(v)) {
        const r = value.safeParse(x);
        if (!r.success) {
          for (const issue of r.error.issues)
            ctx.addIssue({ code: 'custom', message: issue.message, path: [k, ...issue.path] });
          return z.NEVER;
        }
        out.push([k, r.data]);
      }
      return Object.fromEntries(out) as Record<string, z.output<T>>;
    });
}

/** `record[key]` when `key` is the record's own property (never an inherited one); else undefined. */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
