// The panel's words go through JupyterLab's translator: a French catalogue loaded into
// JupyterLab's own Gettext (as a language pack is) changes titles, buttons and group titles,
// with the plural form the language asks for.
import { Gettext } from '@jupyterlab/translation';
import { render, screen } from '@testing-library/react';
import * as React from 'react';
import { chainedNote } from '../../components/chainWords';
import { DetectControls } from '../../components/DetectControls';
import { GroupDetail } from '../../components/GroupDetail';
import { LabelButtons, LabelSummary } from '../../components/PairLabels';
import { GroupShaping } from '../../grouping';
import type { IScoredLabel } from '../../labels';
import { regroup } from '../../scan/groups';
import { PairStore } from '../../scan/pairs';
import { GroupList } from '../../components/GroupList';
import { WorkerStatusView } from '../../components/WorkerStatusView';
import type {
  IDuplicateGroup,
  IScanPoints,
  IScanResult
} from '../../scan/types';
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
      ],
      Split: ['Scinder'],
      'Back to the groups': ['Retour aux groupes'],
      'At the weakest link: %1.': ['Au lien le plus faible : %1.'],
      'into %1 samples': ['en %1 échantillons'],
      'Weakest link': ['Lien le plus faible'],
      '%1 (%2 and %3)': ['%1 (%2 et %3)'],
      chained: ['en chaîne'],
      "at or below %1, the scan's floor (%2)": [
        'au plus %1, le plancher du scan (%2)'
      ],
      '%2 pair': ['%2 paire', '%2 paires'],
      'Chained: its least alike members score %1, below %2, lower than any two copies of one sample at threshold %3 can score. It holds together only through a chain of pairs: open its details to split it.':
        [
          'En chaîne : ses membres les moins semblables obtiennent %1, sous %2 (seuil %3).'
        ],
      'keeps %2 of %3 labelled duplicate': [
        'garde %2 des %3 doublon étiqueté',
        'garde %2 des %3 doublons étiquetés'
      ],
      'groups %2 of %3 labelled non-duplicate': [
        'groupe %2 des %3 non-doublon étiqueté',
        'groupe %2 des %3 non-doublons étiquetés'
      ],
      'At %1: %2, %3.': ['À %1 : %2, %3.'],
      'Suggested threshold %1: it separates every labelled pair.': [
        'Seuil suggéré %1 : il sépare toutes les paires étiquetées.'
      ],
      'Use %1': ['Utiliser %1'],
      Duplicate: ['Doublon'],
      'Not a duplicate': ['Pas un doublon']
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

describe('the group detail view and labelled pairs through the translator', () => {
  it('translates the detail view and the chained mark', () => {
    // Two tight sets {0..3} and {4..7} joined by one link 3-4 (0.96): chained at 0.95.
    const store = new PairStore(true);
    const tight = (ids: number[]) =>
      ids.forEach((a, i) =>
        ids.slice(i + 1).forEach(b => store.add(a, b, 0.99))
      );
    tight([0, 1, 2, 3]);
    tight([4, 5, 6, 7]);
    store.add(3, 4, 0.96);
    const result: IScanResult = {
      collection: 'c',
      using: '',
      distance: 'Cosine',
      threshold: 0.8,
      points: {
        ids: [0, 1, 2, 3, 4, 5, 6, 7],
        sampleIds: ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'],
        thumbnails: Array(8).fill(null),
        splits: Array(8).fill(null)
      },
      pairs: store.toList(),
      groups: [],
      stats: { seconds: 0, queries: 0, requests: 0, retries: 0 }
    };
    result.groups = regroup(result, 0.8);
    const shaping = new GroupShaping();
    const groups = shaping.groupsAt(result, 0.95);
    const outcome = {
      scanId: 's',
      result,
      finishedAt: 0,
      threshold: 0.95,
      groups
    };
    const trans = french();
    const note = chainedNote(outcome, shaping, groups[0], trans);
    expect(note).toBe(
      'En chaîne : ses membres les moins semblables obtiennent au plus 0.80, le plancher du scan (15 paires), sous 0.8050 (seuil 0.95).'
    );
    render(
      <GroupDetail
        group={groups[0]}
        index={0}
        result={result}
        threshold={0.95}
        diameter={shaping.diameterOf(result, groups, groups[0])}
        chained={note}
        parts={shaping.partsOf(result, groups[0])}
        thumbnails={{
          filesBaseUrl: '/files',
          remote: 'off',
          hosts: [],
          jupyterUrls: []
        }}
        onSplit={jest.fn()}
        onClose={jest.fn()}
        trans={trans}
      />
    );
    expect(screen.getByText('Groupe 1 : 8 échantillons')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Scinder' })).toBeTruthy();
    expect(
      screen.getByRole('button', { name: 'Retour aux groupes' })
    ).toBeTruthy();
    expect(
      screen.getByText('Au lien le plus faible : en 4 + 4 échantillons.')
    ).toBeTruthy();
    expect(screen.getByText('Lien le plus faible')).toBeTruthy();
    expect(screen.getByText('0.9600 (p3 et p4)')).toBeTruthy();
    expect(screen.getByText('en chaîne')).toBeTruthy();
  });

  it('translates what the labels say, in the plural form French uses', () => {
    const label = (
      score: number,
      verdict: 'duplicate' | 'not'
    ): IScoredLabel => ({
      score,
      label: {
        pointIds: [0, 1],
        sampleIds: ['a', 'b'],
        score,
        using: null,
        distance: 'Cosine',
        label: verdict,
        labelledAt: 0
      }
    });
    render(
      <>
        <LabelSummary
          scored={[
            label(0.97, 'duplicate'),
            label(0.99, 'duplicate'),
            label(0.93, 'not')
          ]}
          distance="Cosine"
          threshold={0.95}
          floor={0.8}
          end={0.99}
          onUseThreshold={jest.fn()}
          canUse={true}
          trans={french()}
        />
        <LabelButtons label="not" onLabel={jest.fn()} trans={french()} />
      </>
    );
    expect(
      screen.getByText(
        'À 0.95 : garde 2 des 2 doublons étiquetés, groupe 0 des 1 non-doublon étiqueté.'
      )
    ).toBeTruthy();
    expect(
      screen.getByText(
        'Seuil suggéré 0.95 : il sépare toutes les paires étiquetées.'
      )
    ).toBeTruthy();
    expect(
      screen.getByRole('button', { name: 'Pas un doublon', pressed: true })
    ).toBeTruthy();
    expect(
      screen.getByRole('button', { name: 'Doublon', pressed: false })
    ).toBeTruthy();
  });
});

describe('time left through the translator', () => {
  it('says the time left in the catalogue’s words', () => {
    expect(formatEta(125, french())).toBe('encore environ 2 min');
    expect(formatEta(125)).toBe('about 2 min left');
  });
});
