// What the panel asks of the active notebook's kernel after the groups: whether it can write
// Parquet (pyarrow), and writing it there with `nd.export`'s own code, since the browser has
// no Parquet writer. Both are user expressions of a silent execute request: nothing enters the
// notebook's history or namespace, and a Python error comes back as its message.
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { ISendStatus } from '../bridge';

/** The subset of a kernel the export uses. */
export interface IExportKernel {
  readonly status: Kernel.Status;
  requestExecute(
    content: KernelMessage.IExecuteRequestMsg['content']
  ): Kernel.IShellFuture<
    KernelMessage.IExecuteRequestMsg,
    KernelMessage.IExecuteReplyMsg
  >;
}

/** The subset of a notebook panel the export uses. */
export interface IExportNotebook {
  readonly title: { readonly label: string };
  readonly context: { readonly path: string };
  readonly sessionContext: {
    readonly session: { readonly kernel: IExportKernel | null } | null;
  };
}

export interface IExportTracker {
  readonly currentWidget: IExportNotebook | null;
}

/** Whether the kernel can write Parquet, and if not, why, in words for the panel. */
export interface IParquetSupport {
  available: boolean;
  /** A few words for the option: "open a notebook", "no pyarrow in the kernel". */
  short: string;
  /** The whole sentence, with what to do. */
  why: string;
}

/** The expression that tells whether pyarrow can be imported, without importing it. */
const HAS_PYARROW =
  "__import__('importlib.util').util.find_spec('pyarrow') is not None";

function kernelOf(notebook: IExportNotebook | null): IExportKernel | null {
  const kernel = notebook?.sessionContext.session?.kernel ?? null;
  return kernel && kernel.status !== 'dead' ? kernel : null;
}

/** Evaluates Python expressions in the kernel; each answer is its text, or raises with the error. */
export async function evaluate(
  kernel: IExportKernel,
  expressions: Record<string, string>
): Promise<Record<string, string>> {
  const future = kernel.requestExecute({
    code: '',
    silent: true,
    store_history: false,
    allow_stdin: false,
    stop_on_error: false,
    user_expressions: expressions
  });
  const reply = await future.done;
  const content = reply.content as KernelMessage.IExecuteReplyMsg['content'];
  if (content.status !== 'ok') {
    throw new Error('the kernel could not run the request');
  }
  const out: Record<string, string> = {};
  for (const key of Object.keys(expressions)) {
    const answer = (content.user_expressions ?? {})[key] as
      | {
          status: string;
          data?: Record<string, unknown>;
          ename?: string;
          evalue?: string;
        }
      | undefined;
    if (!answer || answer.status !== 'ok') {
      throw new Error(
        answer?.ename
          ? `${answer.ename}: ${answer.evalue ?? ''}`
          : 'no answer from the kernel'
      );
    }
    out[key] = String(answer.data?.['text/plain'] ?? '');
  }
  return out;
}

/** Asks the active notebook's kernel whether it has pyarrow. */
export async function parquetSupport(
  tracker: IExportTracker | null
): Promise<IParquetSupport> {
  const notebook = tracker?.currentWidget ?? null;
  if (!notebook) {
    return {
      available: false,
      short: 'open a notebook',
      why: 'Parquet is written by a notebook’s kernel: open a notebook.'
    };
  }
  const kernel = kernelOf(notebook);
  if (!kernel) {
    return {
      available: false,
      short: 'start the notebook’s kernel',
      why: `Parquet is written by the kernel of ${notebook.title.label}: start it.`
    };
  }
  try {
    const { pyarrow } = await evaluate(kernel, { pyarrow: HAS_PYARROW });
    return pyarrow === 'True'
      ? {
          available: true,
          short: 'written by the kernel',
          why: `Written by the kernel of ${notebook.title.label}, beside the notebook.`
        }
      : {
          available: false,
          short: 'no pyarrow in the kernel',
          why:
            `The kernel of ${notebook.title.label} has no pyarrow: ` +
            "pip install 'jupyterlab_near_duplicates[parquet]' there, or export CSV or JSON Lines."
        };
  } catch (error) {
    return {
      available: false,
      short: 'the kernel did not answer',
      why: `Could not ask the kernel of ${notebook.title.label}: ${(error as Error).message}`
    };
  }
}

/** Where the kernel wrote an export: paths under the Jupyter root, for /files/. */
export interface IKernelExport {
  file: string;
  manifest: string;
  notebook: string;
}

/**
 * Writes the plan as Parquet in the active notebook's kernel, beside the notebook: first the
 * groups on show go to the kernel (`send`, as Send all groups does), then `expression` (the
 * plan, planCode.ts) is exported there under `name`. Raises with a sentence for the panel.
 */
export async function exportInKernel(
  tracker: IExportTracker | null,
  send: () => Promise<ISendStatus>,
  planExpression: string,
  name: string
): Promise<IKernelExport> {
  const notebook = tracker?.currentWidget ?? null;
  const kernel = kernelOf(notebook);
  if (!notebook || !kernel) {
    throw new Error(
      'Parquet is written by a notebook’s kernel: open a notebook and start its kernel.'
    );
  }
  const sent = await send();
  if (sent.state !== 'sent') {
    throw new Error(sent.text);
  }
  let answer: Record<string, string>;
  try {
    answer = await evaluate(kernel, {
      manifest: `${planExpression}.export(${JSON.stringify(name)}, format="parquet")`
    });
  } catch (error) {
    throw new Error(
      `The kernel of ${notebook.title.label} could not write ${name}: ${(error as Error).message}`
    );
  }
  // The kernel runs in the notebook's folder: the files are beside the notebook.
  const path = notebook.context.path;
  const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  const under = (file: string) => (folder ? `${folder}/${file}` : file);
  const manifest = answer.manifest.replace(/^['"]|['"]$/g, '');
  return {
    file: under(name),
    manifest: under(manifest.split(/[\\/]/).pop() ?? manifest),
    notebook: notebook.title.label
  };
}
