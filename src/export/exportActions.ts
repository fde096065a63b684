// The panel's Export: the groups on show and their plan as CSV or JSON Lines built here and
// downloaded, or as Parquet written by the active notebook's kernel beside the notebook and
// downloaded from there. The manifest is a second file, downloaded on its own click (a
// browser asks before a page downloads two files from one click).
import type { IScanOutcome } from '../modelTypes';
import { MODULE_VERSION } from '../widget/version';
import { downloadServerFile, downloadText } from './download';
import {
  exportManifest,
  exportName,
  exportRows,
  ExportFormat,
  IExportSource,
  manifestName,
  toCsv,
  toJsonl
} from './files';
import {
  exportInKernel,
  IExportTracker,
  IParquetSupport,
  parquetSupport
} from './kernelExport';
import { IExportPlan, planCounts } from './keepPlan';
import { planExpression } from './planCode';
import type { ISendStatus } from '../bridge';

/** A finished export, for the panel to say what was written. */
export interface IExportDone {
  format: ExportFormat;
  /** The rows' file name. */
  file: string;
  rows: number;
  groups: number;
  keep: number;
  drop: number;
  /** The manifest's file name. */
  manifest: string;
  /** For Parquet: the notebook beside which the kernel wrote both files. */
  notebook: string | null;
  /** Downloads the manifest. */
  downloadManifest: () => void;
}

const MIME: Record<'csv' | 'jsonl', string> = {
  csv: 'text/csv;charset=utf-8',
  jsonl: 'application/x-ndjson;charset=utf-8'
};

export class ExportActions {
  /**
   * `tracker`: the notebooks (the active one's kernel writes Parquet); `sendAll`: sends the
   * groups on show to that kernel (the bridge's Send all groups).
   */
  constructor(
    private readonly tracker: IExportTracker | null,
    private readonly sendAll:
      ((outcome: IScanOutcome) => Promise<ISendStatus>) | null
  ) {}

  /** What the active notebook's kernel said last about Parquet (null: not asked yet). */
  get parquet(): IParquetSupport | null {
    return this._parquet;
  }

  /** Asks the active notebook's kernel again whether it can write Parquet. */
  async refreshParquet(): Promise<IParquetSupport> {
    this._parquet = await parquetSupport(this.tracker);
    return this._parquet;
  }

  private _parquet: IParquetSupport | null = null;

  /** Exports the groups on show with `plan`; raises with a sentence for the panel. */
  async exportAs(
    outcome: IScanOutcome,
    plan: IExportPlan,
    format: ExportFormat
  ): Promise<IExportDone> {
    const source: IExportSource = {
      result: outcome.result,
      groups: outcome.groups,
      threshold: outcome.threshold,
      scanId: outcome.scanId
    };
    const file = exportName(outcome.result.collection, format);
    const counts = planCounts(plan, outcome.groups);
    const rows = outcome.groups.reduce((n, g) => n + g.members.length, 0);
    const done = {
      format,
      file,
      rows,
      groups: outcome.groups.length,
      ...counts
    };
    if (format === 'parquet') {
      const sendAll = this.sendAll;
      if (!sendAll) {
        throw new Error(
          'Parquet is written by a notebook’s kernel: open a notebook.'
        );
      }
      const written = await exportInKernel(
        this.tracker,
        () => sendAll(outcome),
        planExpression(
          plan,
          outcome.result.points,
          '__import__("jupyterlab_near_duplicates")'
        ),
        file
      );
      downloadServerFile(written.file);
      return {
        ...done,
        manifest: written.manifest.split('/').pop() ?? written.manifest,
        notebook: written.notebook,
        downloadManifest: () => downloadServerFile(written.manifest)
      };
    }
    const table = exportRows(source, plan);
    const text = format === 'csv' ? toCsv(table) : toJsonl(table);
    const manifest = manifestName(file);
    const info = exportManifest(
      source,
      plan,
      file,
      format,
      table.length,
      MODULE_VERSION
    );
    downloadText(file, text, MIME[format]);
    return {
      ...done,
      rows: table.length,
      manifest,
      notebook: null,
      downloadManifest: () =>
        downloadText(
          manifest,
          JSON.stringify(info, null, 1) + '\n',
          'application/json'
        )
    };
  }
}
