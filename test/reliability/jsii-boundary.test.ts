import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { buildApiShapes, renderApiShapes, SHAPES_FILE } from '../../scripts/api-shapes';
import * as api from '../../src';
import { Param, Shape } from '../../src/private/api-shape-types';
import { API_SHAPES } from '../../src/private/api-shapes';

/**
 * The jsii boundary: JavaScript and Python callers bypass TypeScript's
 * types. Every public constructor, static factory and method checks the
 * runtime type of what it receives against the shapes derived from its
 * signature, and fails with our error format.
 */

const SRC = path.join(__dirname, '..', '..', 'src');

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'imports' ? [] : sourcesUnder(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('the API shapes table', () => {
  test('src/private/api-shapes.ts is what scripts/api-shapes.ts derives from src/index.ts (complete and current)', () => {
    expect(fs.readFileSync(SHAPES_FILE, 'utf8')).toBe(renderApiShapes(buildApiShapes()));
  }, 60_000);

  test('every public entry point checks its arguments first', () => {
    const text = sourcesUnder(SRC).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    const unchecked = Object.keys(API_SHAPES.entries)
      .filter((e) => e !== 'MeshValidationError.new')
      .filter((e) => !text.includes(`'${e}', arguments);`));
    expect(unchecked).toEqual([]);
    expect(Object.keys(API_SHAPES.entries).length).toBeGreaterThan(90);
  });
});

/** A place in the arguments of an entry point where a wrong-typed value goes. */
interface Target {
  /** Index of the parameter. */
  readonly param: number;
  /** Steps below the parameter: property names, list indexes (0) and map keys. */
  readonly steps: (string | number)[];
  /** The prop as the message names it. */
  readonly prop: string;
  readonly shape: Shape;
  /** An unknown property (a typo) instead of a wrong-typed value. */
  readonly unknownKey?: boolean;
}

const NO_PREFIX = ['props', 'options'];

function targetsOf(entry: string): Target[] {
  const params = API_SHAPES.entries[entry];
  const out: Target[] = [];
  const isCtor = entry.endsWith('.new');
  const visit = (param: number, steps: (string | number)[], prop: string, shape: Shape, depth: number) => {
    if (shape === '*') return;
    out.push({ param, steps, prop, shape });
    if (depth >= 3 || typeof shape !== 'object') return;
    if ('a' in shape) visit(param, [...steps, 0], `${prop}[0]`, shape.a, depth + 1);
    if ('m' in shape) visit(param, [...steps, 'SOME_KEY'], `${prop}.SOME_KEY`, shape.m, depth + 1);
    if ('r' in shape) {
      const join = (k: string) => (prop ? `${prop}.${k}` : k);
      for (const p of API_SHAPES.structs[shape.r]) visit(param, [...steps, p.n], join(p.n), p.t, depth + 1);
      out.push({ param, steps: [...steps, 'colour'], prop: join('colour'), shape: 's', unknownKey: true });
    }
  };
  params.forEach((p: Param, i: number) => {
    if (isCtor && params[0].n === 'scope' && i < 2) return; // scope and id: checked by constructs itself
    if (p.n === 'scope' && typeof p.t === 'object' && 'k' in p.t) return;
    const structParam = typeof p.t === 'object' && 'r' in p.t && NO_PREFIX.includes(p.n);
    visit(i, [], structParam ? '' : p.v ? `${p.n}[0]` : p.n, p.t, 0);
  });
  // a struct parameter itself must be named by its parameter name
  return out.map((t) => (t.prop === '' ? { ...t, prop: params[t.param].n } : t));
}

/** Wrong-typed values for a shape (never a value of that shape). */
function wrongValue(shape: Shape): fc.Arbitrary<unknown> {
  const object = fc.constant({ name: 'x' });
  const str = fc.string({ minLength: 1, maxLength: 8 });
  const num = fc.oneof(fc.integer(), fc.constant(NaN));
  if (shape === 's') return fc.oneof(num, fc.boolean(), fc.array(str, { minLength: 1, maxLength: 2 }), object, fc.constant(null));
  if (shape === 'n') return fc.oneof(fc.integer().map(String), fc.boolean(), object, fc.constant([1]), fc.constant(null));
  if (shape === 'b') return fc.oneof(fc.constantFrom('true', 'false'), fc.constantFrom(0, 1), object);
  if (typeof shape !== 'object') throw new Error('unreachable');
  if ('e' in shape) {
    const values = Object.values(API_SHAPES.enums[shape.e]);
    const lower = values.map((v) => v.toLowerCase()).filter((v) => !values.includes(v));
    return fc.oneof(...(lower.length ? [fc.constantFrom(...lower)] : []), str.filter((s) => !values.includes(s)), num, object);
  }
  if ('a' in shape) return fc.oneof(fc.constant('a,b'), str, num, object);
  if ('m' in shape) return fc.oneof(str, fc.constant(['a']), num);
  if ('c' in shape || 'i' in shape) return fc.oneof(str, object, num, fc.constant([]));
  return fc.oneof(str, fc.constant(['a']), num, fc.constant(null));
}

function place(steps: (string | number)[], value: unknown): unknown {
  if (steps.length === 0) return value;
  const [head, ...rest] = steps;
  const inner = place(rest, value);
  return typeof head === 'number' ? [inner] : { [head]: inner };
}

/** Calls an entry point with `args` (constructors get a fresh chart as scope). */
function call(entry: string, args: unknown[]): { where: string } {
  const [cls, member] = entry.split('.');
  const Cls = (api as any)[cls];
  if (member === 'new') {
    const app = Testing.app();
    if (cls === 'MeshApp') {
      new Cls(...args);
      return { where: '' };
    }
    const scope = API_SHAPES.entries[entry][0].t;
    const parent = typeof scope === 'object' && 'c' in scope && scope.c === 'App' ? app : new Chart(app, 'chart');
    new Cls(parent, 'target', ...args.slice(2));
    return { where: parent === app ? 'target' : 'chart/target' };
  }
  if (typeof Cls[member] !== 'function') throw new Error(`not static: ${entry}`);
  const params = API_SHAPES.entries[entry];
  const app = Testing.app();
  const filled = params.map((p, i) => (p.n === 'scope' && args[i] === undefined ? new Chart(app, 'chart') : args[i]));
  Cls[member](...filled);
  return { where: entry };
}

const isStatic = (entry: string) => {
  const [cls, member] = entry.split('.');
  return member !== 'new' && typeof (api as any)[cls]?.[member] === 'function';
};

describe('wrong-typed values at every public prop of every public construct and static factory', () => {
  const entries = Object.keys(API_SHAPES.entries)
    .filter((e) => e !== 'MeshValidationError.new')
    .filter((e) => e.endsWith('.new') || isStatic(e))
    .filter((e) => targetsOf(e).length > 0);

  test('covers every public constructor and static factory with arguments', () => {
    const classes = Object.entries(api).filter(([, v]) => typeof v === 'function');
    const statics = classes.flatMap(([name, cls]) => Object.getOwnPropertyNames(cls)
      .filter((m) => typeof (cls as any)[m] === 'function' && !['length', 'name', 'prototype'].includes(m) && !m.startsWith('_') && (cls as any)[m].length > 0)
      .map((m) => `${name}.${m}`))
      .filter((e) => !['isConstruct', 'isChart', 'isApp', 'of'].includes(e.split('.')[1]) || e in API_SHAPES.entries);
    expect(statics.filter((s) => !(s in API_SHAPES.entries))).toEqual([]);
    // every entry point with something to check other than its scope is exercised below
    expect(Object.keys(API_SHAPES.entries).filter((e) => (e.endsWith('.new') || isStatic(e)) && e !== 'MeshValidationError.new' && !entries.includes(e)))
      .toEqual(['MeshAnalysis.of']);
    expect(entries.filter((e) => e.endsWith('.new')).length).toBeGreaterThan(25);
  });

  const arbitrary = fc.constantFrom(...entries).chain((entry) => fc.constantFrom(...targetsOf(entry)).chain((target) =>
    (target.unknownKey ? fc.constant<unknown>('typo') : wrongValue(target.shape)).map((value) => ({ entry, target, value }))));

  test('every call fails with a MeshValidationError that names the prop (never a raw exception, never silent output)', () => {
    fc.assert(fc.property(arbitrary, ({ entry, target, value }) => {
      const args: unknown[] = [];
      args[target.param] = place(target.steps, value);
      let thrown: any;
      try {
        call(entry, args);
      } catch (e) {
        thrown = e;
      }
      if (!thrown) throw new Error(`${entry}: ${target.prop} = ${JSON.stringify(value)} was accepted`);
      if (thrown.name !== 'MeshValidationError') {
        throw new Error(`${entry}: ${target.prop} = ${String(JSON.stringify(value))} threw ${thrown.name}: ${thrown.message}`);
      }
      if (!thrown.message.includes(`'${target.prop}'`)) {
        throw new Error(`${entry}: ${target.prop} = ${JSON.stringify(value)}: the message does not name the prop: ${thrown.message}`);
      }
    }), { seed: Number(process.env.PROP_SEED ?? 20261201), numRuns: Number(process.env.PROP_RUNS ?? 400) });
  });

  test('every target of every entry point is rejected at least once (one wrong value each)', () => {
    const failures: string[] = [];
    for (const entry of entries) {
      for (const target of targetsOf(entry)) {
        const args: unknown[] = [];
        args[target.param] = place(target.steps, target.unknownKey ? 'typo' : fc.sample(wrongValue(target.shape), { seed: 7, numRuns: 1 })[0]);
        try {
          call(entry, args);
          failures.push(`${entry} ${target.prop}: accepted`);
        } catch (e: any) {
          if (e.name !== 'MeshValidationError' || !e.message.includes(`'${target.prop}'`)) failures.push(`${entry} ${target.prop}: ${e.name}: ${e.message.split('\n')[0]}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('the messages Python and JavaScript callers get', () => {
  const chart = () => new Chart(Testing.app(), 'shop', { namespace: 'shop' });

  test('a string where a list of enum values is expected is not split into letters', () => {
    const users = new api.MeshService(chart(), 'users', { versions: [{ name: 'v1', image: 'reg.example/users:1.0.0' }] });
    expect(() => users.addRoute({ retries: { attempts: 2, retryOn: '5xx,reset' as any } })).toThrow(
      '[shop/users] \'addRoute.options.retries.retryOn\' must be a list of RetryOn values (RetryOn.CONNECT_FAILURE, RetryOn.ENVOY_RATELIMITED, RetryOn.FIVE_XX,');
    expect(() => users.addRoute({ retries: { attempts: 2, retryOn: '5xx,reset' as any } })).toThrow(
      ', got "5xx,reset". Fix: pass a list, e.g. [value] for a single entry');
  });

  test('a number as an env value', () => {
    expect(() => new api.MeshService(chart(), 'users', { versions: [{ name: 'v1', image: 'a:1', env: { PORT: 8080 as any } }] })).toThrow(
      '[shop/users] \'versions[0].env.PORT\' must be a string, got 8080. Fix: quote the value so it is a string');
  });

  test('a lower-case HTTP method', () => {
    const users = new api.MeshService(chart(), 'users', { versions: [{ name: 'v1', image: 'a:1' }] });
    expect(() => users.allowFromSource(api.AuthzSource.namespace('shop'), { methods: ['get' as any] })).toThrow(
      '[shop/users] \'allowFromSource.options.methods[0]\' must be a HttpMethod (one of HttpMethod.CONNECT, HttpMethod.DELETE, HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.PATCH, HttpMethod.POST, HttpMethod.PUT, HttpMethod.TRACE), got "get". Fix: use HttpMethod.GET (enum values are case-sensitive)');
  });

  test('a service name string in place of a service', () => {
    const c = chart();
    expect(() => new api.CanaryRelease(c, 'canary', { service: 'users' as any, stable: 'v1', canary: 'v2' } as any)).toThrow(
      '[shop/canary] \'service\' must be a construct implementing IMeshService, got "users". Fix: pass the construct object itself (not its name)');
  });

  test('a plain object where a Duration is expected', () => {
    const users = new api.MeshService(chart(), 'users', { versions: [{ name: 'v1', image: 'a:1' }] });
    expect(() => users.addRoute({ timeout: { seconds: 5 } as any })).toThrow(
      '[shop/users] \'addRoute.options.timeout\' must be a Duration object, got {"seconds":5}. Fix: create it with the Duration API (its static methods or constructor), not a plain object');
  });

  test('a misspelled property is reported, not ignored', () => {
    expect(() => new api.MeshService(chart(), 'users', { versions: [{ name: 'v1', image: 'a:1', replica: 3 } as any] })).toThrow(
      '[shop/users] \'versions[0].replica\' is not a property of MeshServiceVersion (it would be ignored), got 3. Fix: check the spelling; MeshServiceVersion has args, command, env, image, liveness, name, readiness, replicas, resources');
  });

  test('a static factory names itself', () => {
    expect(() => api.HttpMatch.pathPrefix(5 as any)).toThrow('[HttpMatch.pathPrefix] \'prefix\' must be a string, got 5. Fix: quote the value so it is a string');
  });

  test('a construct of another app', () => {
    const other = new api.MeshService(chart(), 'users', { versions: [{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2' }] });
    const c = chart();
    expect(() => new api.CanaryRelease(c, 'canary', { service: other, stable: 'v1', canary: 'v2', canaryPercentage: 10 } as any)).toThrow(
      '[shop/canary] \'service\' must be a construct of this app, but shop/users belongs to another App (nothing would be rendered for it here), got "shop/users". Fix: declare the construct under the same App, or pass one that is');
    expect(() => new api.MeshRoute(c, 'route', { service: other })).toThrow('[shop/route] \'service\' must be a construct of this app');
    void App;
  });
});
