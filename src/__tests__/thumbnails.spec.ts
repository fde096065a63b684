// Which payload values may become an <img>, and from where: the rest is shown as text.
import { classifyThumbnail, filesUrl, relativeImagePath } from '../thumbnails';

const FILES = '/user/ada/files/';
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

describe('classifyThumbnail', () => {
  it('loads http(s) URLs as they are', () => {
    expect(classifyThumbnail('https://cdn.example.org/cats/1.jpg', FILES)).toEqual({
      kind: 'url',
      src: 'https://cdn.example.org/cats/1.jpg',
      text: 'https://cdn.example.org/cats/1.jpg'
    });
    expect(classifyThumbnail('  HTTP://example.org/a b.png ', null)).toMatchObject({
      kind: 'url',
      src: 'http://example.org/a%20b.png'
    });
  });

  it('loads raster data URIs, even wrapped over lines', () => {
    expect(classifyThumbnail(PNG, FILES)).toMatchObject({ kind: 'data', src: PNG });
    const wrapped = PNG.slice(0, 40) + '\n' + PNG.slice(40);
    expect(classifyThumbnail(wrapped, FILES)).toMatchObject({ kind: 'data', src: PNG });
    for (const type of ['jpeg', 'gif', 'webp', 'bmp']) {
      expect(classifyThumbnail(`data:image/${type};base64,AAAA`, FILES).kind).toBe('data');
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
      expect(classifyThumbnail(value, FILES)).toEqual({ kind: 'text', text: value });
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
    expect(classifyThumbnail({ url: 'x' }, FILES)).toEqual({ kind: 'text', text: '{"url":"x"}' });
    const hostile = '<img src=x onerror=alert(1)>';
    expect(classifyThumbnail(hostile, FILES)).toEqual({ kind: 'text', text: hostile });
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
    expect(filesUrl('http://h/files', ['a', 'b.png'])).toBe('http://h/files/a/b.png');
    expect(filesUrl('http://h/files/', ['a&b.png'])).toBe('http://h/files/a%26b.png');
  });
});
