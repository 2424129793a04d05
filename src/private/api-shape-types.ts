/**
 * The types of the generated API shape table (`api-shapes.ts`), apart from the
 * checker (`runtime-types.ts`) so the table and the checker do not import each other.
 */

/**
 * The runtime shape of a value: `s` string, `n` number, `b` boolean, `*`
 * anything; `{ e }` a member of an enum; `{ a }` a list; `{ m }` a map of
 * names to values; `{ c }` an instance of a class (`k`: a construct);
 * `{ i }` an object implementing an interface; `{ r }` a struct.
 */
export type Shape = 's' | 'n' | 'b' | '*'
| { readonly e: string }
| { readonly a: Shape }
| { readonly m: Shape }
| { readonly c: string; readonly k?: 1 }
| { readonly i: string; readonly k?: 1 }
| { readonly r: string };

/** A parameter or struct property: name, shape, optional. */
export interface Param {
  readonly n: string;
  readonly t: Shape;
  readonly o?: 1;
  /** A rest parameter (`...values`): the remaining arguments, each of shape `t`. */
  readonly v?: 1;
}

export interface ApiShapes {
  /** `Class.new` (constructor) or `Class.method` (static or instance) -> parameters. */
  readonly entries: Record<string, Param[]>;
  /** Struct name -> properties. */
  readonly structs: Record<string, Param[]>;
  /** Interface name -> member names. */
  readonly interfaces: Record<string, string[]>;
  /** Enum name -> member name -> value. */
  readonly enums: Record<string, Record<string, string>>;
}
