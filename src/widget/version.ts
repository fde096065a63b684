// The widget module's name and version, as Python's `_model_module` / `_model_module_version`
// ask for them. Kept equal to package.json's version (a unit test checks).

/** The npm package name, which is the ipywidgets module name. */
export const MODULE_NAME = 'jupyterlab-near-duplicates';

/** package.json's version; Python asks for `^${MODULE_VERSION}`. */
export const MODULE_VERSION = '0.1.0';
