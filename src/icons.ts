// The panel's sidebar icon, themed through JupyterLab's jp-icon classes.
import { LabIcon } from '@jupyterlab/ui-components';
import nearDuplicatesSvg from '../style/icons/near-duplicates.svg';

export const nearDuplicatesIcon = new LabIcon({
  name: 'jupyterlab-near-duplicates:icon',
  svgstr: nearDuplicatesSvg
});
