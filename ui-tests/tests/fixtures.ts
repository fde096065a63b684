// Galata's test, for a Jupyter server that checks XSRF as a user's server does (the Galata
// helper config turns that check off, which hid thumbnails that such a server refuses).
// Galata's own requests (temporary folders, clean-up) then carry a matching XSRF cookie and
// header; the page gets its cookie from the server like any browser.
import { expect, test as galata } from '@jupyterlab/galata';

/** Any value works: the server compares the header with the cookie. */
const XSRF = '6e642d75692d74657374';

export const test = galata.extend({
  request: async ({ playwright, baseURL }, use) => {
    const url = new URL(baseURL ?? 'http://localhost:8890');
    const context = await playwright.request.newContext({
      baseURL: url.origin,
      extraHTTPHeaders: { 'X-XSRFToken': XSRF },
      storageState: {
        cookies: [
          {
            name: '_xsrf',
            value: XSRF,
            domain: url.hostname,
            path: '/',
            expires: -1,
            httpOnly: false,
            secure: false,
            sameSite: 'Lax'
          }
        ],
        origins: []
      }
    });
    await use(context);
    await context.dispose();
  }
});

export { expect };
export type { IJupyterLabPageFixture } from '@jupyterlab/galata';
