// Unit tests: the template's JupyterLab jest config (jsdom + babel for the ESM packages),
// with ts-jest for our own TypeScript.
const jestJupyterLab = require('@jupyterlab/testing/lib/jest-config');

const esModules = [
  '@codemirror',
  '@jupyter/ydoc',
  '@jupyter/react-components',
  '@jupyter/web-components',
  '@jupyter-widgets',
  '@microsoft',
  '@qdrant',
  '@jupyterlab/',
  'exenv-es6',
  'lib0',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

const baseConfig = jestJupyterLab(__dirname);

module.exports = {
  ...baseConfig,
  automock: false,
  setupFiles: [
    ...(baseConfig.setupFiles ?? []),
    '<rootDir>/src/__tests__/detachingTransfer.js'
  ],
  testRegex: 'src/__tests__/.*\\.spec\\.tsx?$',
  transform: {
    // Icons from @jupyterlab/ui-components (refreshIcon...) import their SVG as text.
    '\\.svg$': '@jupyterlab/testing/lib/jest-raw-loader.js',
    '\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
    '\\.jsx?$': 'babel-jest'
  },
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`],
  modulePathIgnorePatterns: [
    '<rootDir>/jupyterlab_near_duplicates/labextension',
    '<rootDir>/ui-tests',
    '<rootDir>/lib',
    '<rootDir>/.venv'
  ],
  collectCoverageFrom: [
    'src/**/*.{ts,tsx}',
    '!src/**/*.d.ts',
    '!src/__tests__/**'
  ]
};
