// The panel's words go through JupyterLab's translator: a French catalogue loaded into
// JupyterLab's own Gettext (as a language pack is) changes titles, buttons and group titles,
// with the plural form the language asks for.
import { Gettext } from '@jupyterlab/translation';
import { render, screen } from '@testing-library/react';
import * as React from 'react';
import { DetectControls } from '../../components/DetectControls';
import { GroupList } from '../../components/GroupList';
import { WorkerStatusView } from '../../components/WorkerStatusView';
import type { IDuplicateGroup, IScanPoints } from '../../scan/types';
import { formatEta } from '../../format';
import { TRANSLATION_DOMAIN } from '../../tokens';

function french(): Gettext {
  const bundle = new Gettext({ domain: TRANSLATION_DOMAIN, locale: 'fr' });
  bundle.loadJSON(
    {
      '': {
        domain: TRANSLATION_DOMAIN,
        language: 'fr',
        pluralForms: 'nplurals=2; plural=(n > 1);'
      },
      'Detect Duplicates': ['Détecter les doublons'],
      'Group %2: %3 sample': [
        'Groupe %2 : %3 échantillon',
        'Groupe %2 : %3 échantillons'
      ],
      '%2 duplicate group': ['%2 groupe de doublons', '%2 groupes de doublons'],
      '%2 sample': ['%2 échantillon', '%2 échantillons'],
      '%1 (%2) at %3': ['%1 (%2) à %3'],
      'Weakest link %1': ['Lien le plus faible %1'],
      'about %1 min': ['environ %1 min'],
      '%1 left': ['encore %1'],
      'Scanning is not available: the scan worker did not load': [
        "L'analyse n'est pas disponible : le worker n'a pas chargé"
      ]
    },
    TRANSLATION_DOMAIN
  );
  return bundle;
}

const points: IScanPoints = {
  ids: [0, 1, 2],
  sampleIds: ['a', 'b', 'c'],
  thumbnails: [null, null, null],
  splits: [null, null, null]
};

const group: IDuplicateGroup = {
  key: 0,
  members: [0, 1, 2],
  pointIds: [0, 1, 2],
  sampleIds: ['a', 'b', 'c'],
  links: 2,
  bestScore: 0.99,
  worstScore: 0.96,
  weakestLink: { a: 0, b: 2, score: 0.96 },
  representative: 1
};

describe('the panel through JupyterLab’s translator (a French catalogue in Gettext)', () => {
  it('translates the Detect button', () => {
    render(
      <DetectControls
        distance="Cosine"
        threshold={0.95}
        onThresholdChange={jest.fn()}
        collection="photos"
        canDetect={true}
        scanning={false}
        onDetect={jest.fn()}
        onCancel={jest.fn()}
        lastScanThreshold={null}
        trans={french()}
      />
    );
    expect(
      screen.getByRole('button', { name: 'Détecter les doublons' })
    ).toBeTruthy();
  });

  it('translates group titles and the summary, in the plural form French uses', () => {
    render(
      <GroupList
        groups={[group]}
        points={points}
        distance="Cosine"
        threshold={0.95}
        thumbnails={{
          filesBaseUrl: '/files',
          remote: 'off',
          hosts: [],
          jupyterUrls: []
        }}
        selectedKey={null}
        onSelect={jest.fn()}
        trans={french()}
      />
    );
    expect(screen.getByText('Groupe 1 : 3 échantillons')).toBeTruthy();
    // One group is singular in French (n > 1 is plural).
    expect(
      screen.getByText('1 groupe de doublons (3 échantillons) à 0.95')
    ).toBeTruthy();
    expect(screen.getByText('Lien le plus faible 0.9600')).toBeTruthy();
  });

  it('translates what the panel says when the worker did not load', () => {
    render(
      <WorkerStatusView
        status={{ state: 'failed', message: 'boom' }}
        trans={french()}
      />
    );
    expect(
      screen.getByText(
        "L'analyse n'est pas disponible : le worker n'a pas chargé"
      )
    ).toBeTruthy();
  });
});

describe('time left through the translator', () => {
  it('says the time left in the catalogue’s words', () => {
    expect(formatEta(125, french())).toBe('encore environ 2 min');
    expect(formatEta(125)).toBe('about 2 min left');
  });
});
