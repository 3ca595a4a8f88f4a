/** The element types a window or item can map to (issue 15 type set). */
export declare const TYPES: string[];
export interface TypeRule { cls: string; mask: number; values: number[]; anyBits: number; textEmpty: boolean; type: string | null;
  items: string | null; children: 'walk' | 'skip' }
/** Parses typemap.json (or the given file) and checks every rule; throws on a malformed one. */
export declare function loadTypemap(path?: string): TypeRule[];
/** The first matching rule's outcome for a window: its type (null = not an element), its items kind, whether to walk children. */
export declare function classifyWindow(rules: TypeRule[], className: string, style: number, text: string):
  { type: string | null; items: string | null; children: 'walk' | 'skip' };
/** The C table the enumerator compiles, generated from the same rules. */
export declare function typemapCHeader(rules: TypeRule[]): string;
