// User-facing strings go through JupyterLab's translator, in one domain. Components take a
// bundle as a prop and fall back to this one (English, as written) when given none.
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { TRANSLATION_DOMAIN } from './tokens';

export const untranslated: TranslationBundle =
  nullTranslator.load(TRANSLATION_DOMAIN);
