import * as YAML from 'yaml';

/**
 * Builds a Go template (as istiod's injector evaluates it) whose static parts
 * are YAML rendered from typed data, with Go template actions spliced in.
 *
 * `expr()` returns a placeholder scalar that is later replaced by the raw
 * action; every action that produces a value must itself produce a valid YAML
 * scalar (e.g. end in `| quote`), so the template's output is YAML whatever
 * the pod looks like.
 */
export class GoTemplate {
  private readonly actions: string[] = [];
  private readonly lines: string[] = [];

  /** A placeholder for one Go action (e.g. `{{ .ProxyImage | quote }}`). */
  public expr(action: string): string {
    this.actions.push(action);
    return `__GO_ACTION_${this.actions.length - 1}__`;
  }

  /** Appends raw template lines (Go control actions or YAML). */
  public raw(...lines: string[]): this {
    this.lines.push(...lines);
    return this;
  }

  /** Appends `value` as YAML, indented by `indent` spaces. */
  public yaml(value: unknown, indent: number): this {
    const text = YAML.stringify(value, { lineWidth: 0 }).replace(/\n$/, '');
    const pad = ' '.repeat(indent);
    this.lines.push(...text.split('\n').map((l) => pad + l));
    return this;
  }

  /** Appends one YAML list item (`- ...`) for `value`, indented by `indent` spaces. */
  public item(value: unknown, indent: number): this {
    return this.yaml([value], indent);
  }

  public toString(): string {
    const text = this.lines.join('\n') + '\n';
    return text.replace(/__GO_ACTION_(\d+)__/g, (_, i) => this.actions[Number(i)]);
  }
}
