// The widget module's name and version, as Python's `_model_module` / `_model_module_version`
// ask for them: read from package.json, as widget-ts-cookiecutter does, so a release bumps one file.

// package.json lies outside tsc's rootDir, so it is required (the bundler inlines it), not imported.
declare function require(path: '../../package.json'): {
  name: string;
  version: string;
};
const pkg = require('../../package.json');

/** The npm package name, which is the ipywidgets module name. */
export const MODULE_NAME: string = pkg.name;

/** package.json's version; Python asks for `^${MODULE_VERSION}`. */
export const MODULE_VERSION: string = pkg.version;
