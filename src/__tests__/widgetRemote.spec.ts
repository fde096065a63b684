// Which remote thumbnail URLs a SampleGrid loads: the policies, their combination, and URLs
// that reach the Jupyter server under another spelling of its host.
import { pointsAtJupyter, readPolicy, refuseRemote, stricter } from '../widget/remote';

const LOCAL = { page: 'http://localhost:8888/lab/tree/a.ipynb', baseUrl: 'http://localhost:8888/' };

describe('pointsAtJupyter', () => {
  it.each([
    'http://localhost:8888/api/contents',
    'http://LOCALHOST.:8888/files/x.png',
    'http://127.0.0.1:8888/files/x.png',
    'http://127.1.2.3:8888/x.png',
    'http://0x7f.1:8888/x.png',
    'http://2130706433:8888/x.png',
    'http://[::1]:8888/x.png',
    'http://[::ffff:127.0.0.1]:8888/x.png',
    'http://0.0.0.0:8888/x.png',
    'http://app.localhost:8888/x.png',
    'https://localhost:8888/x.png' // the same socket, whatever the scheme
  ])('sees %s as the Jupyter server on localhost:8888', url => {
    expect(pointsAtJupyter(new URL(url), LOCAL)).toBe(true);
  });

  it.each([
    'http://localhost:9000/x.png',
    'http://images.example.org:8888/x.png',
    'http://10.0.0.5:8888/x.png'
  ])('sees %s as another server', url => {
    expect(pointsAtJupyter(new URL(url), LOCAL)).toBe(false);
  });

  it('knows a Jupyter served under another name and a base URL on another origin', () => {
    const hub = { page: 'https://hub.example.org/user/ann/lab', baseUrl: 'https://hub.example.org/user/ann/' };
    expect(pointsAtJupyter(new URL('https://hub.example.org:443/hub/api'), hub)).toBe(true);
    expect(pointsAtJupyter(new URL('https://HUB.example.org/x.png'), hub)).toBe(true);
    expect(pointsAtJupyter(new URL('http://localhost/x.png'), hub)).toBe(false);
    const split = { page: 'https://lab.example.org/lab', baseUrl: 'https://api.example.org:8443/' };
    expect(pointsAtJupyter(new URL('https://api.example.org:8443/files/x'), split)).toBe(true);
  });
});

describe('refuseRemote', () => {
  const any = readPolicy('allowed', []);
  it('lets any other host through when allowed', () => {
    expect(refuseRemote('https://images.example.org/a.png', any, LOCAL)).toBeNull();
  });

  it('refuses everything when off, and unlisted hosts when listed', () => {
    expect(refuseRemote('https://images.example.org/a.png', readPolicy('off', []), LOCAL)).toBe(
      'remote image not loaded (remote thumbnails are off)'
    );
    const listed = readPolicy('listed', ['images.example.org']);
    expect(refuseRemote('https://images.example.org/a.png', listed, LOCAL)).toBeNull();
    expect(refuseRemote('https://evil.example.org/a.png', listed, LOCAL)).toBe(
      'remote image not loaded (evil.example.org is not a listed thumbnail host)'
    );
  });

  it('refuses the Jupyter server whatever the policy', () => {
    expect(refuseRemote('http://127.0.0.1:8888/api/contents', any, LOCAL)).toBe(
      'not loaded: the URL points at this Jupyter server'
    );
  });
});

describe('policies', () => {
  it('reads an unknown mode as off, and hosts in lower case', () => {
    expect(readPolicy('sometimes', 3)).toEqual({ remote_thumbnails: 'off', thumbnail_hosts: [] });
    expect(readPolicy(undefined, undefined).remote_thumbnails).toBe('allowed');
    expect(readPolicy('listed', ['A.Example.org.', 7]).thumbnail_hosts).toEqual(['a.example.org']);
  });

  it('combines two policies into the stricter one', () => {
    const all = readPolicy('allowed', []);
    const a = readPolicy('listed', ['a.org', 'b.org']);
    const b = readPolicy('listed', ['b.org', 'c.org']);
    expect(stricter(all, a)).toEqual(a);
    expect(stricter(a, all)).toEqual(a);
    expect(stricter(a, b).thumbnail_hosts).toEqual(['b.org']);
    expect(stricter(a, readPolicy('off', [])).remote_thumbnails).toBe('off');
  });
});
