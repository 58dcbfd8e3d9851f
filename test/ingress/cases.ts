/**
 * The Kubernetes path-matching table (kubernetes.io/docs/concepts/services-networking/ingress,
 * "Examples") plus host cases, as data: used by the matcher test and by the differential test
 * against real nginx. Each case: rules (path, pathType, backend service) -> request -> expected.
 */
export interface RuleSpec {
  path: string;
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  to: string;
}

export interface PathCase {
  name: string;
  rules: RuleSpec[];
  request: string;
  /** Service name that must answer, or 'default' (the default backend) when nothing matches. */
  want: string;
}

const P = (path: string, to = 'a'): RuleSpec => ({ path, pathType: 'Prefix', to });
const E = (path: string, to = 'a'): RuleSpec => ({ path, pathType: 'Exact', to });
const I = (path: string, to = 'a'): RuleSpec => ({ path, pathType: 'ImplementationSpecific', to });

export const PATH_CASES: PathCase[] = [
  { name: 'Prefix / matches all paths', rules: [P('/')], request: '/anything/at/all', want: 'a' },
  { name: 'Exact /foo matches /foo', rules: [E('/foo')], request: '/foo', want: 'a' },
  { name: 'Exact /foo does not match /bar', rules: [E('/foo')], request: '/bar', want: 'default' },
  { name: 'Exact /foo does not match /foo/', rules: [E('/foo')], request: '/foo/', want: 'default' },
  { name: 'Exact /foo/ does not match /foo', rules: [E('/foo/')], request: '/foo', want: 'default' },
  {
    name: 'Exact /a/foo/ + Prefix /a: /a/foo takes Prefix /a',
    rules: [E('/a/foo/', 'e'), P('/a', 'p')],
    request: '/a/foo',
    want: 'p',
  },
  {
    name: 'Exact /a/foo/ + Prefix /a: /a/foo/ takes Exact',
    rules: [E('/a/foo/', 'e'), P('/a', 'p')],
    request: '/a/foo/',
    want: 'e',
  },
  { name: 'Prefix /foo matches /foo', rules: [P('/foo')], request: '/foo', want: 'a' },
  { name: 'Prefix /foo matches /foo/', rules: [P('/foo')], request: '/foo/', want: 'a' },
  { name: 'Prefix /foo/ matches /foo', rules: [P('/foo/')], request: '/foo', want: 'a' },
  { name: 'Prefix /foo/ matches /foo/', rules: [P('/foo/')], request: '/foo/', want: 'a' },
  { name: 'Prefix /aaa/bb does not match /aaa/bbb', rules: [P('/aaa/bb')], request: '/aaa/bbb', want: 'default' },
  { name: 'Prefix /aaa/bbb matches /aaa/bbb', rules: [P('/aaa/bbb')], request: '/aaa/bbb', want: 'a' },
  {
    name: 'Prefix /aaa/bbb/ matches /aaa/bbb (trailing slash ignored)',
    rules: [P('/aaa/bbb/')],
    request: '/aaa/bbb',
    want: 'a',
  },
  {
    name: 'Prefix /aaa/bbb matches /aaa/bbb/ (trailing slash matched)',
    rules: [P('/aaa/bbb')],
    request: '/aaa/bbb/',
    want: 'a',
  },
  {
    name: 'Prefix /aaa/bbb matches /aaa/bbb/ccc (subpath)',
    rules: [P('/aaa/bbb')],
    request: '/aaa/bbb/ccc',
    want: 'a',
  },
  {
    name: 'Prefix /aaa/bbb does not match /aaa/bbbxyz (no string prefix)',
    rules: [P('/aaa/bbb')],
    request: '/aaa/bbbxyz',
    want: 'default',
  },
  {
    name: 'Prefix /, /aaa: /aaa/ccc matches /aaa',
    rules: [P('/', 'root'), P('/aaa', 'a')],
    request: '/aaa/ccc',
    want: 'a',
  },
  {
    name: 'Prefix /, /aaa, /aaa/bbb: /aaa/bbb matches /aaa/bbb',
    rules: [P('/', 'root'), P('/aaa', 'a'), P('/aaa/bbb', 'b')],
    request: '/aaa/bbb',
    want: 'b',
  },
  {
    name: 'Prefix /, /aaa, /aaa/bbb: /ccc matches /',
    rules: [P('/', 'root'), P('/aaa', 'a'), P('/aaa/bbb', 'b')],
    request: '/ccc',
    want: 'root',
  },
  { name: 'Prefix /aaa: /ccc uses the default backend', rules: [P('/aaa')], request: '/ccc', want: 'default' },
  {
    name: 'Mixed /foo Prefix + /foo Exact: /foo prefers Exact',
    rules: [P('/foo', 'p'), E('/foo', 'e')],
    request: '/foo',
    want: 'e',
  },
  {
    name: 'Mixed /foo Prefix + /foo Exact: /foo/ takes Prefix',
    rules: [P('/foo', 'p'), E('/foo', 'e')],
    request: '/foo/',
    want: 'p',
  },
  {
    name: 'Mixed /foo Prefix + /foo Exact: /foo/x takes Prefix',
    rules: [P('/foo', 'p'), E('/foo', 'e')],
    request: '/foo/x',
    want: 'p',
  },
  {
    name: 'longest wins: /foo/bar Prefix over /foo Exact for /foo/bar/baz',
    rules: [E('/foo', 'e'), P('/foo/bar', 'p')],
    request: '/foo/bar/baz',
    want: 'p',
  },
  {
    name: 'Exact /foo/ beats Prefix /foo for /foo/',
    rules: [P('/foo', 'p'), E('/foo/', 'e')],
    request: '/foo/',
    want: 'e',
  },
  // ImplementationSpecific as ingress-nginx (no use-regex): `location <path>`, a string prefix.
  { name: 'ImplementationSpecific /impl matches /impl/x', rules: [I('/impl')], request: '/impl/x', want: 'a' },
  {
    name: 'ImplementationSpecific /foo matches /foobar (string prefix)',
    rules: [I('/foo')],
    request: '/foobar',
    want: 'a',
  },
  { name: 'ImplementationSpecific /foo matches /foo', rules: [I('/foo')], request: '/foo', want: 'a' },
  {
    name: 'Prefix + ImplementationSpecific /foo: /foo takes Prefix (its exact location)',
    rules: [P('/foo', 'p'), I('/foo', 'i')],
    request: '/foo',
    want: 'p',
  },
  {
    name: 'Prefix + ImplementationSpecific /foo: /foo/x takes Prefix (/foo/ is longer)',
    rules: [P('/foo', 'p'), I('/foo', 'i')],
    request: '/foo/x',
    want: 'p',
  },
  {
    name: 'Prefix + ImplementationSpecific /foo: /foobar takes ImplementationSpecific',
    rules: [P('/foo', 'p'), I('/foo', 'i')],
    request: '/foobar',
    want: 'i',
  },
  {
    name: 'ImplementationSpecific /foo/bar beats Prefix /foo for /foo/barx',
    rules: [P('/foo', 'p'), I('/foo/bar', 'i')],
    request: '/foo/barx',
    want: 'i',
  },
  {
    name: 'Exact + ImplementationSpecific /foo: /foo takes Exact, /foo/ the other',
    rules: [E('/foo', 'e'), I('/foo', 'i')],
    request: '/foo/',
    want: 'i',
  },
  {
    name: 'ImplementationSpecific /foo/ does not match /foo (no 301)',
    rules: [I('/foo/', 'i'), P('/', 'root')],
    request: '/foo',
    want: 'root',
  },
  {
    name: 'ImplementationSpecific /foo/ matches /foo/x',
    rules: [I('/foo/', 'i'), P('/', 'root')],
    request: '/foo/x',
    want: 'i',
  },
  { name: 'query string is not part of the path', rules: [E('/q')], request: '/q?x=/y', want: 'a' },
  {
    name: 'Prefix /foo does not match /foobar/baz',
    rules: [P('/foo', 'p'), P('/', 'root')],
    request: '/foobar/baz',
    want: 'root',
  },
  { name: 'Exact / only matches /', rules: [E('/')], request: '/x', want: 'default' },
  { name: 'Exact / matches /', rules: [E('/', 'e'), P('/', 'p')], request: '/', want: 'e' },
  { name: 'paths are case sensitive', rules: [P('/Foo')], request: '/foo', want: 'default' },
];

export interface HostCase {
  name: string;
  /** Hosts of the rules: each gets Prefix / to a service named after it. */
  hosts: string[];
  request: string;
  want: string;
}

/** Service name a host's rule sends to in HOST_CASES. */
export const hostService = (h: string): string =>
  h === '' ? 'nohost' : h.replace(/^\*\./, 'wild-').replace(/\./g, '-');

export const HOST_CASES: HostCase[] = [
  {
    name: '*.foo.com matches bar.foo.com',
    hosts: ['*.foo.com'],
    request: 'bar.foo.com',
    want: hostService('*.foo.com'),
  },
  {
    name: '*.foo.com does not match baz.bar.foo.com',
    hosts: ['*.foo.com'],
    request: 'baz.bar.foo.com',
    want: 'default',
  },
  { name: '*.foo.com does not match foo.com', hosts: ['*.foo.com'], request: 'foo.com', want: 'default' },
  {
    name: 'exact host beats the wildcard',
    hosts: ['*.foo.com', 'bar.foo.com'],
    request: 'bar.foo.com',
    want: hostService('bar.foo.com'),
  },
  {
    name: 'wildcard applies to another label',
    hosts: ['*.foo.com', 'bar.foo.com'],
    request: 'qux.foo.com',
    want: hostService('*.foo.com'),
  },
  {
    name: 'host is matched case-insensitively, port ignored',
    hosts: ['web.example.com'],
    request: 'WEB.Example.com:80',
    want: hostService('web.example.com'),
  },
  {
    name: 'a rule without host matches any host',
    hosts: ['', 'web.example.com'],
    request: 'other.example.com',
    want: 'nohost',
  },
  {
    name: 'a named host beats the rule without host',
    hosts: ['', 'web.example.com'],
    request: 'web.example.com',
    want: hostService('web.example.com'),
  },
  {
    name: 'deeper wildcard for a deeper name',
    hosts: ['*.foo.com', '*.bar.foo.com'],
    request: 'x.bar.foo.com',
    want: hostService('*.bar.foo.com'),
  },
  {
    name: 'no host rule matched: default backend',
    hosts: ['web.example.com'],
    request: 'nobody.example.org',
    want: 'default',
  },
];
