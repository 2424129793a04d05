/**
 * A deliberately small evaluator for the injector's Go templates, enough to
 * render their static parts in tests: lines made only of control actions
 * (`if`/`else`/`end`, variable assignments, one-line `range ... end`) are
 * evaluated or dropped, and inline actions are replaced by values the test
 * supplies. An action or condition the test did not supply fails the render,
 * so the test notices when a template changes.
 */
export interface RenderInput {
  /** Condition text of `{{- if COND }}` -> its value. */
  readonly conditions: Record<string, boolean>;
  /** Inline action text (inside `{{ }}`) -> the string it produces (already a YAML scalar). */
  readonly values: Record<string, string>;
}

const ACTION = /\{\{-?\s*([\s\S]*?)\s*-?\}\}/g;

export function renderTemplate(template: string, input: RenderInput): string {
  const out: string[] = [];
  const stack: Array<{ active: boolean; taken: boolean }> = [];
  const active = () => stack.every((s) => s.active);
  for (const line of template.split('\n')) {
    const stripped = line.replace(ACTION, '').trim();
    if (stripped === '' && line.trim() !== '') {
      // control-only line
      const actions = [...line.matchAll(ACTION)].map((m) => m[1]);
      const first = actions[0];
      if (first.startsWith('if ')) {
        const cond = first.slice(3).trim();
        if (!(cond in input.conditions)) throw new Error(`no value for condition: ${cond}`);
        stack.push({ active: input.conditions[cond], taken: input.conditions[cond] });
      } else if (first === 'else') {
        const top = stack[stack.length - 1];
        top.active = !top.taken;
      } else if (first === 'end') {
        stack.pop();
      } else if (first.startsWith('$') || first.startsWith('range ')) {
        // variable setup; values come from input.values
      } else {
        throw new Error(`unsupported control line: ${line}`);
      }
      continue;
    }
    if (!active()) continue;
    out.push(line.replace(ACTION, (_, expr: string) => {
      if (!(expr in input.values)) throw new Error(`no value for action: ${expr}`);
      return input.values[expr];
    }));
  }
  if (stack.length) throw new Error('unbalanced if/end');
  return out.join('\n');
}
