// Settings read from the registry's composite, and the schema that declares them.
import { CommandIDs, DEFAULT_SETTINGS, readSettings } from '../tokens';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const schema = require('../../schema/panel.json');

describe('settings', () => {
  it('declares every setting the panel reads, with the same default, a title and a description', () => {
    for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) {
      const property = schema.properties[key];
      expect(property).toBeDefined();
      expect(property.default).toEqual(value);
      expect(property.title).toBeTruthy();
      expect(property.description).toBeTruthy();
    }
    expect(Object.keys(schema.properties).sort()).toEqual(
      Object.keys(DEFAULT_SETTINGS).sort()
    );
    expect(schema.additionalProperties).toBe(false);
  });

  it('declares a keyboard shortcut for the detect command', () => {
    const shortcuts = schema['jupyter.lab.shortcuts'];
    expect(shortcuts).toEqual([
      expect.objectContaining({
        command: CommandIDs.detect,
        keys: ['Alt Shift D']
      })
    ]);
  });

  it('keeps a user value and falls back to the default for a mistyped one', () => {
    const settings = readSettings({
      sampleIdField: 'image_id',
      batchSize: '64'
    });
    expect(settings.sampleIdField).toBe('image_id');
    expect(settings.batchSize).toBe(256);
    expect(settings.defaultThreshold).toBe(0.95);
  });

  it('reads the thumbnail policy, refusing values the schema does not allow', () => {
    const settings = readSettings({
      remoteThumbnails: 'listed',
      thumbnailHosts: ['cdn.example.org', 42, null]
    });
    expect(settings.remoteThumbnails).toBe('listed');
    expect(settings.thumbnailHosts).toEqual(['cdn.example.org']);
    expect(
      readSettings({ remoteThumbnails: 'sometimes', thumbnailHosts: 'x' })
    ).toMatchObject({
      remoteThumbnails: 'allowed',
      thumbnailHosts: []
    });
    expect(readSettings({ backend: 'cloud' }).backend).toBe('auto');
  });
});
