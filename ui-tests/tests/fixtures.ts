// Galata's test, for a Jupyter server that checks XSRF as a user's server does (the Galata
// helper config turns that check off, which hid thumbnails that such a server refuses).
// Galata's own requests (temporary folders, clean-up) then carry a matching XSRF cookie and
// header; the page gets its cookie from the server like any browser.
import { expect, galata, test as galataTest } from '@jupyterlab/galata';

/** Any value works: the server compares the header with the cookie. */
const XSRF = '6e642d75692d74657374';

export const test = galataTest.extend({
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
  },
  // page.contents uses the browser context's requests, which carry the cookie but not the
  // header: files a test uploads go through the XSRF-carrying context instead.
  page: async ({ page, request }, use) => {
    Object.defineProperty(page, 'contents', {
      value: galata.newContentsHelper(request, page)
    });
    await use(page);
  }
});

export { expect };
export type { IJupyterLabPageFixture } from '@jupyterlab/galata';
