// Plugin ids, command ids and the settings shape shared by the panel's modules.
import type { Linkage } from './scan/linkage';
import type { RemoteThumbnails } from './thumbnails';

/** The npm package name; plugin ids are `${EXTENSION_ID}:<part>`. */
export const EXTENSION_ID = 'jupyterlab-near-duplicates';

/** The side panel plugin; its settings live in schema/panel.json. */
export const PANEL_PLUGIN_ID = `${EXTENSION_ID}:panel`;

/** The id of the panel widget in the shell (also the layout restorer's key). */
export const PANEL_ID = 'jp-near-duplicates-panel';

export namespace CommandIDs {
  export const openPanel = 'near-duplicates:open-panel';
  /** Scan the chosen collection at the current threshold (the panel's Detect buttons run it). */
  export const detect = `${EXTENSION_ID}:detect`;
  /** Stop the running scan. */
  export const cancel = `${EXTENSION_ID}:cancel`;
  /** Export the groups on show and their plan (args: format 'csv', 'jsonl' or 'parquet'). */
  export const exportGroups = `${EXTENSION_ID}:export`;
  /** Insert, below the active notebook cell, the code that rebuilds the plan and tags it. */
  export const insertCode = `${EXTENSION_ID}:insert-code`;
  /** Take up the chosen collection's interrupted scan where its checkpoint left off (issue 16). */
  export const resume = `${EXTENSION_ID}:resume`;
  /** Scan only the points added since the chosen collection's last finished scan (issue 16). */
  export const scanChanges = `${EXTENSION_ID}:scan-changes`;
}

/** The translation domain of the extension's user-facing strings. */
export const TRANSLATION_DOMAIN = 'jupyterlab_near_duplicates';

/** Which Qdrant the panel scans: `auto` lets the server pick (remote when configured). */
export type BackendChoice = 'auto' | 'embedded' | 'remote';

/** The panel's settings, as read from the setting registry's composite. */
export interface INearDuplicatesSettings {
  backend: BackendChoice;
  sampleIdField: string;
  thumbnailField: string;
  /** Whether http(s) thumbnails from payloads load: from anywhere, listed hosts, or never. */
  remoteThumbnails: RemoteThumbnails;
  /** The hosts `remoteThumbnails: 'listed'` loads from. */
  thumbnailHosts: string[];
  splitField: string;
  defaultThreshold: number;
  neighboursPerQuery: number;
  batchSize: number;
  requestsInFlight: number;
  /** Exact (brute-force) neighbour search instead of the collection's HNSW index. */
  exactSearch: boolean;
  /** HNSW search breadth for the scan's queries; 0 keeps the collection's own. */
  hnswEf: number;
  /** Groups by single linkage (connected pairs) or complete linkage (every pair passes). */
  linkage: Linkage;
}

export const DEFAULT_SETTINGS: INearDuplicatesSettings = {
  backend: 'auto',
  sampleIdField: 'sample_id',
  thumbnailField: 'thumbnail',
  remoteThumbnails: 'allowed',
  thumbnailHosts: [],
  splitField: 'split',
  defaultThreshold: 0.95,
  neighboursPerQuery: 32,
  batchSize: 256,
  requestsInFlight: 2,
  exactSearch: false,
  hnswEf: 0,
  linkage: 'single'
};

/** The values the schema allows for the settings that are a choice. */
const ENUMS: {
  backend: string[];
  remoteThumbnails: string[];
  linkage: string[];
} = {
  backend: ['auto', 'embedded', 'remote'],
  remoteThumbnails: ['allowed', 'listed', 'off'],
  linkage: ['single', 'complete']
};

/** Settings from the registry's composite, with defaults for anything missing or mistyped. */
export function readSettings(composite: {
  [key: string]: unknown;
}): INearDuplicatesSettings {
  const out: INearDuplicatesSettings = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as Array<
    keyof INearDuplicatesSettings
  >) {
    const value = composite[key];
    if (value !== undefined && typeof value === typeof DEFAULT_SETTINGS[key]) {
      (out as any)[key] = value;
    }
  }
  const hosts = composite.thumbnailHosts;
  out.thumbnailHosts = Array.isArray(hosts)
    ? hosts.filter((h): h is string => typeof h === 'string')
    : [];
  if (!ENUMS.backend.includes(out.backend)) {
    out.backend = DEFAULT_SETTINGS.backend;
  }
  if (!ENUMS.remoteThumbnails.includes(out.remoteThumbnails)) {
    out.remoteThumbnails = DEFAULT_SETTINGS.remoteThumbnails;
  }
  if (!ENUMS.linkage.includes(out.linkage)) {
    out.linkage = DEFAULT_SETTINGS.linkage;
  }
  return out;
}
