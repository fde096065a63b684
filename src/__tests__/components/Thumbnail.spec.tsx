// Previews: safe images load lazily; anything else, or a broken image, is plain text.
import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';
import { Thumbnail } from '../../components/Thumbnail';
import type { IThumbnailPolicy } from '../../thumbnails';

const FILES: IThumbnailPolicy = {
  filesBaseUrl: '/lab/files',
  remote: 'allowed',
  hosts: [],
  jupyterUrls: ['http://localhost:8888', 'http://localhost:8888/lab/']
};

describe('Thumbnail', () => {
  it('loads an http(s) URL lazily, without a referrer', () => {
    render(
      <Thumbnail
        value="https://cdn.example.org/1.jpg"
        policy={FILES}
        label="cat-1"
      />
    );
    const img = screen.getByRole('img', { name: 'cat-1' }) as HTMLImageElement;
    expect(img.getAttribute('src')).toBe('https://cdn.example.org/1.jpg');
    expect(img.getAttribute('loading')).toBe('lazy');
    expect(img.getAttribute('referrerpolicy')).toBe('no-referrer');
  });

  it('loads a path under the Jupyter root from /files/ with a same-origin Referer, which Jupyter requires', () => {
    render(<Thumbnail value="imgs/a b.png" policy={FILES} label="a" />);
    const img = screen.getByRole('img');
    expect(img.getAttribute('src')).toBe('/lab/files/imgs/a%20b.png');
    expect(img.getAttribute('referrerpolicy')).toBe('same-origin');
  });

  it('shows a URL of the Jupyter server itself as text, saying why', () => {
    const value = 'http://127.0.0.1:8888/api/contents/secret.png';
    const { container } = render(
      <Thumbnail value={value} policy={FILES} label="s1" />
    );
    expect(container.querySelector('img')).toBeNull();
    expect(screen.getByText(value).getAttribute('title')).toContain(
      'points at the Jupyter server'
    );
  });

  it('shows remote URLs as text when remote thumbnails are off, and loads listed hosts only', () => {
    const off = render(
      <Thumbnail
        value="https://cdn.example.org/1.jpg"
        policy={{ ...FILES, remote: 'off' }}
        label="a"
      />
    );
    expect(off.container.querySelector('img')).toBeNull();
    expect(
      off.getByText('https://cdn.example.org/1.jpg').getAttribute('title')
    ).toContain('remote thumbnails are off');
    off.unmount();
    const listed = {
      ...FILES,
      remote: 'listed' as const,
      hosts: ['cdn.example.org']
    };
    const ok = render(
      <Thumbnail
        value="https://cdn.example.org/1.jpg"
        policy={listed}
        label="a"
      />
    );
    expect(ok.container.querySelector('img')).not.toBeNull();
    ok.unmount();
    const other = render(
      <Thumbnail
        value="https://pixel.example.com/t.gif"
        policy={listed}
        label="a"
      />
    );
    expect(other.container.querySelector('img')).toBeNull();
  });

  it('loads a raster data URI', () => {
    render(
      <Thumbnail value="data:image/png;base64,AAAA" policy={FILES} label="a" />
    );
    expect(screen.getByRole('img').getAttribute('src')).toBe(
      'data:image/png;base64,AAAA'
    );
  });

  it('shows a broken image as a placeholder with the sample id', () => {
    const { container } = render(
      <Thumbnail
        value="https://cdn.example.org/gone.jpg"
        policy={FILES}
        label="cat-7"
      />
    );
    fireEvent.error(screen.getByRole('img'));
    expect(container.querySelector('img')).toBeNull();
    const placeholder = screen.getByText('cat-7');
    expect(placeholder.className).toContain(
      'jp-NearDuplicates-thumbnailBroken'
    );
    expect(placeholder.getAttribute('title')).toContain('did not load');
  });

  it('shows text values as text', () => {
    render(
      <Thumbnail value="a caption about a dog" policy={FILES} label="s1" />
    );
    expect(
      screen.getByText('a caption about a dog').getAttribute('title')
    ).toBe('s1: a caption about a dog');
  });

  it('shows the sample id when there is no thumbnail', () => {
    render(<Thumbnail value={null} policy={FILES} label="s1" />);
    expect(screen.getByText('s1')).toBeTruthy();
  });

  it.each([
    '<img src=x onerror=alert(1)>',
    'javascript:alert(1)',
    'data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+',
    '../../etc/passwd.png'
  ])('renders %s as text, never as markup or an image', hostile => {
    const { container } = render(
      <Thumbnail value={hostile} policy={FILES} label="s1" />
    );
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script, svg, a')).toBeNull();
    expect(screen.getByText(hostile)).toBeTruthy();
  });
});
