/** Where the registry keeps its documents in the object store, under one prefix. */
export interface RegistryKeys {
  /** `<prefix>/models/`: every model's documents live below it. */
  readonly models: string;
  versionsPrefix(name: string): string;
  version(name: string, version: number): string;
  aliases(name: string): string;
  tags(name: string): string;
}

/** Zero-padding keeps keys in numeric order for up to 999 999 versions (S3 lists lexicographically). */
const VERSION_DIGITS = 6;

/** Key layout: `<prefix>/models/<name>/versions/000001.json`, `.../aliases.json`, `.../tags.json`. */
export function registryKeys(prefix = 'registry'): RegistryKeys {
  const models = `${prefix.replace(/\/+$/, '')}/models/`;
  return {
    models,
    versionsPrefix: (name) => `${models}${name}/versions/`,
    version: (name, version) =>
      `${models}${name}/versions/${String(version).padStart(VERSION_DIGITS, '0')}.json`,
    aliases: (name) => `${models}${name}/aliases.json`,
    tags: (name) => `${models}${name}/tags.json`,
  };
}

/** The version number in a version key (`.../versions/000012.json` → 12), or `undefined` for other keys. */
export function versionFromKey(key: string): number | undefined {
  const match = /\/versions\/([0-9]+)\.json$/.exec(key);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
