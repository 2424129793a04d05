import { Testing } from 'cdk8s';
import { HeaderMatch, HttpMatch, HttpMethod, PathMatch, QueryParamMatch } from '../../src';

const scope = () => Testing.chart();

describe('HttpMatch', () => {
  describe('rendering', () => {
    test('factories render Istio HTTPMatchRequest fields', () => {
      const c = scope();
      expect(HttpMatch.pathPrefix('/api')._toIstio(c, 'm')).toEqual({ uri: { prefix: '/api' } });
      expect(HttpMatch.pathExact('/a')._toIstio(c, 'm')).toEqual({ uri: { exact: '/a' } });
      expect(HttpMatch.pathRegex('^/a/[0-9]+$')._toIstio(c, 'm')).toEqual({ uri: { regex: '^/a/[0-9]+$' } });
      expect(HttpMatch.method(HttpMethod.DELETE)._toIstio(c, 'm')).toEqual({ method: { exact: 'DELETE' } });
      expect(HttpMatch.header(HeaderMatch.present('x-debug'))._toIstio(c, 'm')).toEqual({ headers: { 'x-debug': {} } });
    });

    test('of() combines all conditions', () => {
      const m = HttpMatch.of({
        path: PathMatch.prefix('/Shop'),
        ignoreUriCase: true,
        method: HttpMethod.POST,
        headers: [HeaderMatch.exact('x-a', '1'), HeaderMatch.prefix('x-b', 'p'), HeaderMatch.regex('x-c', '^c+$')],
        queryParams: [QueryParamMatch.exact('q', '1'), QueryParamMatch.regex('r', '^[a-z]$'), QueryParamMatch.present('debug')],
      });
      expect(m._toIstio(scope(), 'm')).toEqual({
        uri: { prefix: '/Shop' },
        ignoreUriCase: true,
        method: { exact: 'POST' },
        headers: { 'x-a': { exact: '1' }, 'x-b': { prefix: 'p' }, 'x-c': { regex: '^c+$' } },
        queryParams: { q: { exact: '1' }, r: { regex: '^[a-z]$' }, debug: {} },
      });
      expect(m.isCatchAll).toBe(false);
      expect(HttpMatch.of({}).isCatchAll).toBe(true);
    });

    test('_toModel gives plain data', () => {
      const m = HttpMatch.of({ path: PathMatch.exact('/x'), headers: [HeaderMatch.present('x-a')], method: HttpMethod.GET });
      expect(m._toModel(scope(), 'm')).toEqual({
        path: { kind: 'exact', value: '/x' },
        headers: [{ name: 'x-a', match: undefined }],
        queryParams: [],
        method: 'GET',
        ignoreUriCase: false,
      });
    });
  });

  describe('errors', () => {
    test('relative path', () => {
      expect(() => HttpMatch.pathPrefix('api')._toIstio(scope(), 'match[0]')).toThrow(
        "[test] 'match[0].path' must be an absolute path starting with '/', got \"api\". Fix: use \"/api\"");
    });

    test('invalid regex', () => {
      expect(() => HttpMatch.pathRegex('(')._toIstio(scope(), 'match[0]')).toThrow(/\[test\] 'match\[0\]\.path' must be a valid regular expression .*got "\("/);
    });

    test('upper-case header name', () => {
      expect(() => HttpMatch.header(HeaderMatch.exact('X-Canary', '1'))._toIstio(scope(), 'match[0]')).toThrow(
        "[test] 'match[0].headers[0].name' must be a lower-case header name, got \"X-Canary\". Fix: use \"x-canary\"");
    });

    test('repeated header name in one match', () => {
      expect(() => HttpMatch.of({ headers: [HeaderMatch.exact('x-a', '1'), HeaderMatch.prefix('x-a', '2')] })._toIstio(scope(), 'm')).toThrow(
        /'m\.headers\[1\]' must not repeat a header name within one match, got "x-a"/);
    });

    test('query parameter with whitespace', () => {
      expect(() => HttpMatch.of({ queryParams: [QueryParamMatch.exact('a b', '1')] })._toIstio(scope(), 'm')).toThrow(
        /'m\.queryParams\[0\]\.name' must be a non-empty query parameter name without whitespace, got "a b"/);
    });

    test('ignoreUriCase without an exact/prefix path', () => {
      expect(() => HttpMatch.of({ path: PathMatch.regex('^/a'), ignoreUriCase: true })._toIstio(scope(), 'm')).toThrow(
        "[test] 'm.ignoreUriCase' only applies to exact or prefix path matches, got true. Fix: add an exact/prefix path or drop ignoreUriCase");
    });
  });
});
