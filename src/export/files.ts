// The panel's Export (issue 14, section 4): one row per member of the groups on show and a
// manifest saying where they came from, with exactly the columns and keys of the kernel's
// `nd.export()` (jupyterlab_near_duplicates/export_files.py; both are checked against
// tests/fixtures/after_scan.json). CSV and JSON Lines are written here, in the browser;
// Parquet is written by the kernel (kernelExport.ts). DOM-free.
import { closestLinks, recallMessage, roundScore } from '../comm/messages';
import type { IDuplicateGroup, IScanResult, PointId } from '../scan/types';
import { IExportPlan, notDuplicatesOf, pinsOf, planCounts } from './keepPlan';

export const EXPORT_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** export_files.py's COLUMNS, in order. */
export const EXPORT_COLUMNS = [
  'group',
  'point_id',
  'sample_id',
  'split',
  'action',
  'best_score',
  'weakest_link'
] as const;

export type ExportAction = 'keep' | 'drop' | 'not_duplicates';

export interface IExportRow {
  /** The group's position in the list on show: its index in `nd.groups()`. */
  group: number;
  point_id: PointId;
  sample_id: string;
  split: string | null;
  action: ExportAction;
  /** The member's closest link inside its group (from the kept pairs). */
  best_score: number | null;
  /** The link that holds the group together (its maximum spanning tree's weakest). */
  weakest_link: number | null;
}

/** The groups on show, as the export writes them. */
export interface IExportSource {
  result: IScanResult;
  groups: readonly IDuplicateGroup[];
  /** The threshold the groups were formed at. */
  threshold: number;
  scanId: string;
}

const finite = (x: number): number | null =>
  Number.isFinite(x) ? roundScore(x) : null;

/** One row per member of every group, in list order; members in the group's order. */
export function exportRows(
  source: IExportSource,
  plan: IExportPlan
): IExportRow[] {
  const { result, groups, threshold } = source;
  const { points } = result;
  const best = closestLinks(result, threshold, [...groups]);
  const rows: IExportRow[] = [];
  groups.forEach((g, i) => {
    const keeper = plan.decisions[i]?.keeper ?? null;
    const weakest = g.members.length > 1 ? finite(g.weakestLink.score) : null;
    for (const m of g.members) {
      rows.push({
        group: i,
        point_id: points.ids[m],
        sample_id: points.sampleIds[m] ?? String(points.ids[m]),
        split: points.splits[m] ?? null,
        action:
          keeper === null ? 'not_duplicates' : m === keeper ? 'keep' : 'drop',
        best_score: finite(best[m]),
        weakest_link: weakest
      });
    }
  });
  return rows;
}

/** export_files.py's `manifest_path`: `groups.csv` -> `groups.manifest.json`. */
export function manifestName(file: string): string {
  const dot = file.lastIndexOf('.');
  return (dot > 0 ? file.slice(0, dot) : file) + '.manifest.json';
}

/** The file name an export of `collection` gets: `<collection>-duplicates.<ext>`, safe as a file name. */
export function exportName(collection: string, format: ExportFormat): string {
  // eslint-disable-next-line no-control-regex
  const base = collection.replace(/[\u0000-\u001f/\\:*?"<>|]+/g, '_') || 'scan';
  return `${base}-duplicates.${format}`;
}

/** Seconds since the epoch as Python's `isoformat(timespec="seconds")` writes UTC. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** The manifest, key for key as export_files.py's `manifest`. */
export function exportManifest(
  source: IExportSource,
  plan: IExportPlan,
  file: string,
  format: ExportFormat,
  rows: number,
  version: string,
  now: number = Date.now()
): Record<string, unknown> {
  const { result, groups, threshold, scanId } = source;
  const counts = planCounts(plan, groups);
  return {
    file,
    format,
    rows,
    columns: [...EXPORT_COLUMNS],
    collection: result.collection,
    vector: result.using,
    distance: result.distance,
    threshold,
    scan_id: scanId,
    // The scan's own count of the points it listed (the kernel has only the collection's count).
    points_scanned: result.points.ids.length,
    recall: recallMessage(result),
    groups: groups.length,
    time: isoSeconds(now),
    extension_version: version,
    plan: {
      // planning.py keeps each rule as a tuple: ("first",), ("max", "width")
      rules: plan.rules.map(r => (typeof r === 'string' ? [r] : [...r])),
      rules_text: plan.rulesText,
      split_field: plan.splitField,
      pins: Object.fromEntries(
        pinsOf(plan, result.points).map(([group, point]) => [
          String(group),
          point
        ])
      ),
      not_duplicates: notDuplicatesOf(plan),
      keep: counts.keep,
      drop: counts.drop
    }
  };
}

/** Starts of text a spreadsheet runs as a formula (export_files.py's FORMULA_STARTS). */
const FORMULA_STARTS = ['=', '+', '-', '@', '\t', '\r'];

/**
 * One CSV cell as Python's csv module writes it (QUOTE_MINIMAL), after export_files.py's
 * `csv_cell`: text that a spreadsheet would run as a formula gets a leading apostrophe;
 * numbers stay numbers.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? String(value) : '';
  }
  let text = String(value);
  if (FORMULA_STARTS.some(start => text.startsWith(start))) {
    text = "'" + text;
  }
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The rows as CSV: a header, then one line per row, `\r\n` as Python's csv module ends them. */
export function toCsv(rows: readonly IExportRow[]): string {
  const lines = [EXPORT_COLUMNS.join(',')];
  for (const row of rows) {
    lines.push(EXPORT_COLUMNS.map(c => csvCell(row[c])).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** The rows as JSON Lines: one object per line, keys in column order. */
export function toJsonl(rows: readonly IExportRow[]): string {
  return rows
    .map(
      row =>
        JSON.stringify(
          Object.fromEntries(EXPORT_COLUMNS.map(c => [c, row[c]]))
        ) + '\n'
    )
    .join('');
}
