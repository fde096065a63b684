// The strings as written, with %1, %2... filled in as JupyterLab's translator does: the
// fallback of DOM-free modules that also run in the scan worker, which cannot load the
// translator (components fall back to the null translator, src/translation.ts).
import type { TranslationBundle } from '@jupyterlab/translation';

export const asWritten: Pick<TranslationBundle, '__'> = {
  __: (text: string, ...args: unknown[]) =>
    text.replace(/%(\d+)/g, (_, i) => String(args[Number(i) - 1]))
};
