/**
 * Reads committed jest snapshots back into values (for the YAML writer's
 * comparison with the library on every snapshot).
 */
import * as fs from 'fs';
import { format } from 'pretty-format';

/** The values of a .snap file, as jest printed them. */
export function snapshotValues(file: string): string[] {
  const exported: Record<string, unknown> = {};
  new Function('exports', fs.readFileSync(file, 'utf8'))(exported);
  return Object.values(exported)
    .filter((v): v is string => typeof v === 'string')
    .map((v) => v.replace(/^\n/, '').replace(/\n$/, ''));
}

const PRINT_OPTIONS = { indent: 2, escapeString: false, printBasicPrototype: false, printFunctionName: false, escapeRegex: true };

/**
 * The value jest printed (pretty-format, strings unescaped), or undefined if it
 * cannot be read back exactly: read as JavaScript with the raw line breaks,
 * quotes and backslashes inside strings escaped, then accepted only if
 * printing it again gives the same text.
 */
export function readPrinted(printed: string): unknown {
  let js = '';
  let i = 0;
  while (i < printed.length) {
    const c = printed[i];
    if (c !== '"') {
      js += c;
      i++;
      continue;
    }
    // a string: a key ends at `": `; a value or item at `",` and a line break to the next
    // property or item (as indented as this line) or to the end of its collection
    const isValue = printed.slice(i - 2, i) === ': ';
    const indent = printed.slice(printed.lastIndexOf('\n', i) + 1).match(/^ */)![0].length;
    let end = i + 1;
    for (; end < printed.length; end++) {
      if (printed[end] !== '"') continue;
      if (end === printed.length - 1) break;
      if (!isValue && printed.startsWith(': ', end + 1)) break;
      if (printed.startsWith(',\n', end + 1)) {
        const next = printed.slice(end + 3).match(/^ */)![0].length;
        if ((next === indent || next === indent - 2) && printed[end + 3 + next] !== undefined) break;
      }
    }
    js += JSON.stringify(printed.slice(i + 1, end));
    i = end + 1;
  }
  let value: unknown;
  try {
    value = new Function(`return (${js});`)();
  } catch {
    return undefined;
  }
  return format(value, PRINT_OPTIONS) === printed ? value : undefined;
}
