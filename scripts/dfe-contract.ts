/**
 * The DfE contract as published marks some properties `required: true` on the property itself
 * (OpenAPI 2 style). Tools that follow OpenAPI 3 (openapi-typescript, Prism's validator) expect
 * the parent's `required` list, and Prism silently skips validating bodies otherwise. This moves
 * those flags, in memory; the file in contracts/ stays exactly as the DfE publishes it.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

type Node = Record<string, unknown>;

/** Moves property-level `required: true|false` flags into the parent schema's `required` list. */
export function liftPropertyRequired(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(liftPropertyRequired);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const schema = node as Node;
  const properties = schema.properties as Record<string, Node> | undefined;
  if (properties && typeof properties === 'object') {
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    for (const [name, property] of Object.entries(properties)) {
      if (property && typeof property.required === 'boolean') {
        if (property.required) required.add(name);
        delete property.required;
      }
    }
    if (required.size) schema.required = [...required];
    else if (typeof schema.required === 'boolean') delete schema.required;
  }
  for (const value of Object.values(schema)) liftPropertyRequired(value);
}

/** The contract, parsed, with property-level required flags lifted. */
export function loadDfeContract(path: string): Record<string, unknown> {
  const document = parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  liftPropertyRequired(document);
  return document;
}
