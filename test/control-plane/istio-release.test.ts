import * as fs from 'fs';
import * as path from 'path';
import { ISTIO_VERSION } from '../../src';
import { ISTIO_CRD_FILE } from '../util';

/** Code lines of every hand-written source file (comments dropped; generated imports skipped). */
function codeLines(): { file: string; line: string }[] {
  const root = path.join(__dirname, '..', '..', 'src');
  const out: { file: string; line: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (full !== path.join(root, 'imports')) walk(full);
      } else if (entry.name.endsWith('.ts')) {
        for (const line of fs.readFileSync(full, 'utf8').split('\n')) {
          const code = line.replace(/\/\/.*$/, '').trim();
          if (code && !code.startsWith('*') && !code.startsWith('/*')) out.push({ file: path.relative(root, full), line: code });
        }
      }
    }
  };
  walk(root);
  return out;
}

describe('the pinned Istio release', () => {
  test('is defined once in src: no other code line spells an Istio version or image tag', () => {
    const versions = codeLines().filter((l) => /\b1\.\d+\.\d+\b/.test(l.line) && /istio|proxyv2|pilot/i.test(l.line));
    expect(versions).toEqual([{ file: path.join('control-plane', 'istio-release.ts'), line: `export const ISTIO_VERSION = '${ISTIO_VERSION}';` }]);
  });

  test('is the release whose data the tests and the package use', () => {
    expect(ISTIO_VERSION).toBe('1.30.3');
    expect(path.basename(path.dirname(ISTIO_CRD_FILE))).toBe(ISTIO_VERSION);
    expect(fs.existsSync(ISTIO_CRD_FILE)).toBe(true);
  });
});
