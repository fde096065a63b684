// Hands a file to the browser's downloads: text built here (a Blob), or a file under the
// Jupyter root (Jupyter's /files/). The only DOM in the export.
import { PageConfig, URLExt } from '@jupyterlab/coreutils';

function click(href: string, name: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Downloads `text` as the file `name`. */
export function downloadText(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  click(url, name);
  // The download has its own copy once it started.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads a file under the Jupyter root (`path` as the contents API names it). */
export function downloadServerFile(path: string): void {
  const url = URLExt.join(
    PageConfig.getBaseUrl(),
    'files',
    URLExt.encodeParts(path)
  );
  click(url, path.split('/').pop() ?? path);
}
