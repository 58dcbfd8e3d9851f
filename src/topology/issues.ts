/** Collects input problems so one run reports all of them (thrown together as InputErrors). */
import { InputError, InputErrors } from '../errors';

export class Issues {
  readonly list: InputError[] = [];

  add(field: string | undefined, message: string, hint?: string): void {
    this.list.push(new InputError(message, { field, hint }));
  }

  push(...errors: InputError[]): void {
    this.list.push(...errors);
  }

  get count(): number {
    return this.list.length;
  }

  /** Throws everything collected, if anything. */
  throwIfAny(): void {
    if (this.list.length) throw new InputErrors(this.list);
  }
}

/** Joins a field path and a key (`objects[2]` + `spec.ports` -> `objects[2].spec.ports`). */
export function at(path: string, key: string): string {
  if (!path) return key;
  return key.startsWith('[') ? path + key : `${path}.${key}`;
}
