import { Testing } from 'cdk8s';
import { HeaderMatch, HttpMatch, HttpMethod, PathMatch, QueryParamMatch } from '../../src';
import { renderMatch } from '../../src/render/virtual-service';

const scope = () => Testing.chart();
/** The Istio `HTTPMatchRequest` a match renders to, through the model. */
const istio = (m: HttpMatch, c = scope(), prop = 'm') => JSON.parse(JSON.stringify(renderMatch(m._toModel(c, prop))));

describe('HttpMatch', () => {
  describe('rendering (model, then the VirtualService renderer)', () => {
    test('factories render Istio HTTPMatchRequest fields', () => {
      const c = scope();
      expect(istio(HttpMatch.pathPrefix('/api'), c)).toEqual({ uri: { prefix: '/api' } });
      expect(istio(HttpMatch.pathExact('/a'), c)).toEqual({ uri: { exact: '/a' } });
      expect(istio(HttpMatch.pathRegex('^/a/[0-9]+$'), c)).toEqual({ uri: { regex: '^/a/[0-9]+$' } });
      expect(istio(HttpMatch.method(HttpMethod.DELETE), c)).toEqual({ method: { exact: 'DELETE' } });
      expect(istio(HttpMatch.header(HeaderMatch.present('x-debug')), c)).toEqual({ headers: { 'x-debug': {} } });
    });

    test('of() combines all conditions', () => {
      const m = HttpMatch.of({
        path: PathMatch.prefix('/Shop'),
        ignoreUriCase: true,
        method: HttpMethod.POST,
        headers: [HeaderMatch.exact('x-a', '1'), HeaderMatch.prefix('x-b', 'p'), HeaderMatch.regex('x-c', '^c+$')],
        queryParams: [QueryParamMatch.exact('q', '1'), QueryParamMatch.regex('r', '^[a-z]$'), QueryParamMatch.present('debug')],
      });
      expect(istio(m)).toEqual({
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
      expect(() => HttpMatch.pathPrefix('api')._toModel(scope(), 'match[0]')).toThrow(
        "[test] 'match[0].path' must be an absolute path starting with '/', got \"api\". Fix: use \"/api\"");
    });

    test('invalid regex', () => {
      expect(() => HttpMatch.pathRegex('(')._toModel(scope(), 'match[0]')).toThrow(/\[test\] 'match\[0\]\.path' must be a valid regular expression .*got "\("/);
    });

    test('upper-case header name', () => {
      expect(() => HttpMatch.header(HeaderMatch.exact('X-Canary', '1'))._toModel(scope(), 'match[0]')).toThrow(
        "[test] 'match[0].headers[0].name' must be a lower-case header name, got \"X-Canary\". Fix: use \"x-canary\"");
    });

    test('repeated header name in one match', () => {
      expect(() => HttpMatch.of({ headers: [HeaderMatch.exact('x-a', '1'), HeaderMatch.prefix('x-a', '2')] })._toModel(scope(), 'm')).toThrow(
        /'m\.headers\[1\]' must not repeat a header name within one match, got "x-a"/);
    });

    test('query parameter with whitespace', () => {
      expect(() => HttpMatch.of({ queryParams: [QueryParamMatch.exact('a b', '1')] })._toModel(scope(), 'm')).toThrow(
        /'m\.queryParams\[0\]\.name' must be a non-empty query parameter name without whitespace, got "a b"/);
    });

    test('ignoreUriCase without an exact/prefix path', () => {
      expect(() => HttpMatch.of({ path: PathMatch.regex('^/a'), ignoreUriCase: true })._toModel(scope(), 'm')).toThrow(
        "[test] 'm.ignoreUriCase' only applies to exact or prefix path matches, got true. Fix: add an exact/prefix path or drop ignoreUriCase");
    });
  });
});
