// Which payload values may become an <img>, and from where: the rest is shown as text.
import {
  classifyThumbnail,
  filesUrl,
  IThumbnailPolicy,
  pointsAtServer,
  readRemoteRule,
  referrerPolicyFor,
  relativeImagePath,
  stricterRule
} from '../thumbnails';

const FILES = '/user/ada/files/';
const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

describe('classifyThumbnail', () => {
  it('loads http(s) URLs as they are', () => {
    expect(
      classifyThumbnail('https://cdn.example.org/cats/1.jpg', FILES)
    ).toEqual({
      kind: 'url',
      src: 'https://cdn.example.org/cats/1.jpg',
      text: 'https://cdn.example.org/cats/1.jpg'
    });
    expect(
      classifyThumbnail('  HTTP://example.org/a b.png ', null)
    ).toMatchObject({
      kind: 'url',
      src: 'http://example.org/a%20b.png'
    });
  });

  it('loads raster data URIs, even wrapped over lines', () => {
    expect(classifyThumbnail(PNG, FILES)).toMatchObject({
      kind: 'data',
      src: PNG
    });
    const wrapped = PNG.slice(0, 40) + '\n' + PNG.slice(40);
    expect(classifyThumbnail(wrapped, FILES)).toMatchObject({
      kind: 'data',
      src: PNG
    });
    for (const type of ['jpeg', 'gif', 'webp', 'bmp']) {
      expect(
        classifyThumbnail(`data:image/${type};base64,AAAA`, FILES).kind
      ).toBe('data');
    }
  });

  it('refuses SVG and other data URIs, which can carry script or markup', () => {
    for (const value of [
      'data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+',
      'data:image/svg+xml,<svg onload=alert(1)>',
      'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
      'data:image/png,not-base64',
      'data:image/png;base64,AA"onerror="alert(1)'
    ]) {
      expect(classifyThumbnail(value, FILES)).toEqual({
        kind: 'text',
        text: value
      });
    }
  });

  it('refuses script and other schemes', () => {
    for (const value of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      ' javascript:alert(1)',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'blob:https://example.org/uuid',
      'ftp://example.org/a.png',
      'http:/example.org/a.png',
      'https://',
      'C:\\images\\a.png'
    ]) {
      expect(classifyThumbnail(value, FILES).kind).toBe('text');
    }
  });

  it('serves relative image paths from /files/, each segment encoded', () => {
    expect(classifyThumbnail('images/cat 1.png', FILES)).toEqual({
      kind: 'file',
      src: '/user/ada/files/images/cat%201.png',
      text: 'images/cat 1.png'
    });
    expect(classifyThumbnail('./a/./b/../c#1?.JPG', '/files')).toMatchObject({
      kind: 'file',
      src: '/files/a/c%231%3F.JPG'
    });
    expect(classifyThumbnail('%2e%2e/x.png', FILES)).toMatchObject({
      kind: 'file',
      src: '/user/ada/files/%252e%252e/x.png'
    });
  });

  it('refuses paths that leave the Jupyter root or are absolute', () => {
    for (const value of [
      '../secret.png',
      'a/../../secret.png',
      '/etc/x.png',
      '//evil.example.org/x.png',
      '~/x.png',
      'a\\..\\..\\x.png',
      'a/\u0000.png'
    ]) {
      expect(classifyThumbnail(value, FILES).kind).toBe('text');
    }
  });

  it('shows paths as text when there is no /files/ URL, and non-image paths as text', () => {
    expect(classifyThumbnail('images/a.png', null).kind).toBe('text');
    expect(classifyThumbnail('images/a.png', '').kind).toBe('text');
    expect(classifyThumbnail('notes/readme.md', FILES).kind).toBe('text');
    expect(classifyThumbnail('a caption about a dog', FILES).kind).toBe('text');
  });

  it('turns other payload values into text, markup included, cut to a sane length', () => {
    expect(classifyThumbnail(null, FILES)).toEqual({ kind: 'text', text: '' });
    expect(classifyThumbnail(42, FILES)).toEqual({ kind: 'text', text: '42' });
    expect(classifyThumbnail({ url: 'x' }, FILES)).toEqual({
      kind: 'text',
      text: '{"url":"x"}'
    });
    const hostile = '<img src=x onerror=alert(1)>';
    expect(classifyThumbnail(hostile, FILES)).toEqual({
      kind: 'text',
      text: hostile
    });
    expect(classifyThumbnail('x'.repeat(10000), FILES).text.length).toBe(300);
  });
});

describe('relativeImagePath and filesUrl', () => {
  it('resolves inner .. and rejects escaping ones', () => {
    expect(relativeImagePath('a/b/../c.png')).toEqual(['a', 'c.png']);
    expect(relativeImagePath('a/../../c.png')).toBeNull();
    expect(relativeImagePath('a/')).toBeNull();
  });

  it('joins onto the base with a single slash', () => {
    expect(filesUrl('http://h/files', ['a', 'b.png'])).toBe(
      'http://h/files/a/b.png'
    );
    expect(filesUrl('http://h/files/', ['a&b.png'])).toBe(
      'http://h/files/a%26b.png'
    );
  });
});

describe('remote thumbnail policy', () => {
  const policy = (over: Partial<IThumbnailPolicy> = {}): IThumbnailPolicy => ({
    filesBaseUrl: FILES,
    remote: 'allowed',
    hosts: [],
    jupyterUrls: ['http://localhost:8888', 'http://localhost:8888/user/ada/'],
    ...over
  });

  it.each([
    'http://localhost:8888/api/contents/x.png',
    'http://LOCALHOST.:8888/files/x.png',
    'http://127.0.0.1:8888/x.png',
    'http://127.1:8888/x.png',
    'http://2130706433:8888/x.png',
    'http://0x7f.0.0.1:8888/x.png',
    'http://[::1]:8888/x.png',
    'http://[::ffff:127.0.0.1]:8888/x.png',
    'http://0.0.0.0:8888/x.png',
    'http://jupyter.localhost:8888/x.png',
    'https://localhost:8888/x.png' // the same socket, whatever the scheme
  ])(
    'never loads %s: it is the Jupyter server, which would get the cookie',
    value => {
      const source = classifyThumbnail(value, policy());
      expect(source.kind).toBe('text');
      expect(source.src).toBeUndefined();
      expect(source.refused).toContain('Jupyter server');
    }
  );

  it('knows the server by its base URL when the page is elsewhere, default ports included', () => {
    const hub = policy({
      jupyterUrls: [
        'https://hub.example.org',
        'https://hub.example.org/user/ada/'
      ]
    });
    expect(
      classifyThumbnail('https://hub.example.org:443/hub/api/users', hub).kind
    ).toBe('text');
    expect(classifyThumbnail('https://HUB.example.org/x.png', hub).kind).toBe(
      'text'
    );
    // Another port or another host is another server.
    expect(
      classifyThumbnail('https://hub.example.org:8443/x.png', hub).kind
    ).toBe('url');
    expect(classifyThumbnail('https://cdn.example.org/x.png', hub).kind).toBe(
      'url'
    );
    expect(
      classifyThumbnail('http://localhost:9999/x.png', policy()).kind
    ).toBe('url');
    // A base URL on another origin than the page is the server too.
    const split = policy({
      jupyterUrls: ['https://lab.example.org', 'https://api.example.org:8443/']
    });
    expect(
      classifyThumbnail('https://api.example.org:8443/files/x.png', split).kind
    ).toBe('text');
    // http://x:80 and https://x:443 differ.
    expect(
      pointsAtServer(
        new URL('http://hub.example.org/'),
        'https://hub.example.org/'
      )
    ).toBe(false);
  });

  it('loads nothing remote when off, and data URIs and paths still load', () => {
    const off = policy({ remote: 'off' });
    expect(
      classifyThumbnail('https://cdn.example.org/1.jpg', off)
    ).toMatchObject({
      kind: 'text',
      refused: expect.stringContaining('remote thumbnails are off')
    });
    expect(classifyThumbnail(PNG, off).kind).toBe('data');
    expect(classifyThumbnail('imgs/1.png', off).kind).toBe('file');
  });

  it('loads listed hosts only, wildcards admitting subdomains', () => {
    const listed = policy({
      remote: 'listed',
      hosts: [
        'images.example.org',
        '*.cdn.example.net',
        ' Bücher.example ',
        'bad host',
        'x.org:8080'
      ]
    });
    expect(
      classifyThumbnail('https://images.example.org/a.png', listed).kind
    ).toBe('url');
    expect(
      classifyThumbnail('https://IMAGES.example.org./a.png', listed).kind
    ).toBe('url');
    expect(
      classifyThumbnail('https://eu.cdn.example.net/a.png', listed).kind
    ).toBe('url');
    expect(
      classifyThumbnail('https://cdn.example.net/a.png', listed).kind
    ).toBe('url');
    expect(
      classifyThumbnail('https://xn--bcher-kva.example/a.png', listed).kind
    ).toBe('url');
    for (const refused of [
      'https://evil-images.example.org/a.png',
      'https://images.example.org.evil.com/a.png',
      'https://example.org/a.png',
      'http://10.0.0.1/a.png',
      'http://x.org:8080/a.png'
    ]) {
      expect(classifyThumbnail(refused, listed)).toMatchObject({
        kind: 'text',
        refused: expect.stringContaining('Thumbnail hosts')
      });
    }
  });

  it('never loads the Jupyter server even when its host is listed', () => {
    const listed = policy({
      remote: 'listed',
      hosts: ['localhost', '127.0.0.1']
    });
    expect(classifyThumbnail('http://127.0.0.1:8888/x.png', listed).kind).toBe(
      'text'
    );
    expect(classifyThumbnail('http://127.0.0.1:9000/x.png', listed).kind).toBe(
      'url'
    );
  });

  it('asks /files/ with a same-origin Referer and everything else with none', () => {
    expect(referrerPolicyFor(classifyThumbnail('imgs/1.png', policy()))).toBe(
      'same-origin'
    );
    expect(
      referrerPolicyFor(
        classifyThumbnail('https://cdn.example.org/1.png', policy())
      )
    ).toBe('no-referrer');
    expect(referrerPolicyFor(classifyThumbnail(PNG, policy()))).toBe(
      'no-referrer'
    );
  });
});

describe('remote rules from settings or grid traits', () => {
  it('reads an unknown mode as off, and drops hosts that are not strings', () => {
    expect(readRemoteRule('sometimes', 3)).toEqual({
      remote: 'off',
      hosts: []
    });
    expect(readRemoteRule(undefined, undefined).remote).toBe('allowed');
    expect(readRemoteRule('listed', ['a.example.org', 7]).hosts).toEqual([
      'a.example.org'
    ]);
  });

  it('combines two rules into the stricter one', () => {
    const all = readRemoteRule('allowed', []);
    const a = readRemoteRule('listed', ['a.org', 'B.org.']);
    const b = readRemoteRule('listed', ['b.org', 'c.org']);
    expect(stricterRule(all, a)).toEqual(a);
    expect(stricterRule(a, all)).toEqual(a);
    expect(stricterRule(a, b).hosts).toEqual(['B.org.']);
    expect(stricterRule(a, readRemoteRule('off', [])).remote).toBe('off');
  });
});
