// Galata's Playwright config, pointed at Debian's chromium (no browser is downloaded here).
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.ND_UI_TEST_PORT || '8890';
const downPort = String(Number(port) + 1);
const nb7Port = String(Number(port) + 2);

module.exports = {
  ...baseConfig,
  timeout: 90 * 1000,
  retries: process.env.CI ? 1 : 0,
  workers: 1,
  reporter: [['list']],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    },
    trace: 'retain-on-failure',
    video: 'off'
  },
  expect: {
    toHaveScreenshot: { maxDiffPixelRatio: 0.02 }
  },
  webServer: [
    {
      command: 'npm start',
      url: `http://localhost:${port}/lab`,
      timeout: 180 * 1000,
      reuseExistingServer: !process.env.CI
    },
    {
      // A second server whose remote Qdrant is down (nothing listens on port 9).
      command: 'npm start',
      url: `http://localhost:${downPort}/lab`,
      env: { ND_UI_TEST_PORT: downPort, ND_UI_TEST_REMOTE_DOWN: '9' },
      timeout: 120 * 1000,
      reuseExistingServer: !process.env.CI
    },
    {
      // Notebook 7, to check that the extension loads outside JupyterLab too.
      command: 'jupyter notebook --config notebook7_server_config.py',
      url: `http://localhost:${nb7Port}/tree`,
      env: { ND_NB7_PORT: nb7Port },
      timeout: 120 * 1000,
      reuseExistingServer: !process.env.CI
    }
  ]
};
