// The OpenAPI document's answers come from the wire's response schemas: every route names one (or
// says it answers with a redirect), and the document carries it as the JSON Schema of its 200 (201
// for a POST that creates something). docs/responses.spec.ts parses the API's real answers with the
// same schemas.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { okStatus, openApiDocument, ROUTES } from './openapi.js';

type Operation = { responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }> };
const doc = openApiDocument('test') as { paths: Record<string, Record<string, Operation>> };

describe('the OpenAPI document’s responses', () => {
  it('every route names its answer’s schema, or answers with a redirect', () => {
    for (const route of ROUTES) {
      const name = `${route.method ?? 'get'} ${route.path}`;
      expect(route.response, name).not.toBeUndefined();
      if (route.response === null) expect(Object.keys(route.responses ?? {}), name).toContain('302');
      else expect(route.response, name).toBeInstanceOf(z.ZodType);
    }
  });

  it('every operation carries its answer’s JSON Schema, made from that schema', () => {
    for (const route of ROUTES) {
      const name = `${route.method ?? 'get'} ${route.path}`;
      const operation = doc.paths[route.path]?.[route.method ?? 'get'];
      expect(operation, name).toBeDefined();
      if (route.response === null) {
        expect(operation!.responses, name).not.toHaveProperty(['200']);
        continue;
      }
      const schema = operation!.responses[okStatus(route)]?.content?.['application/json']?.schema;
      expect(schema, name).toEqual(z.toJSONSchema(route.response, { io: 'output', unrepresentable: 'any' }));
      expect(schema, name).toMatchObject({ type: 'object' });
    }
  });

  it('a strict answer is closed in the document: no field it does not name', () => {
    const nodes = doc.paths['/api/nodes']!['get']!.responses['200']!.content!['application/json']!.schema as {
      additionalProperties: unknown;
      properties: { nodes: { items: { additionalProperties: unknown; required: string[] } } };
    };
    expect(nodes.additionalProperties).toBe(false);
    expect(nodes.properties.nodes.items.additionalProperties).toBe(false);
    expect(nodes.properties.nodes.items.required).toEqual(['name', 'status', 'firstSeen', 'lastSeen', 'cniStyle', 'readers']);
  });

  it('creating POSTs answer 201, the others 200', () => {
    expect(Object.keys(doc.paths['/api/silences']!['post']!.responses)).toContain('201');
    expect(Object.keys(doc.paths['/api/admin/tokens']!['post']!.responses)).toContain('201');
    expect(Object.keys(doc.paths['/api/alerts/{id}/acknowledge']!['post']!.responses)).toContain('201');
    expect(Object.keys(doc.paths['/api/auth/token-login']!['post']!.responses)).toContain('200');
    expect(Object.keys(doc.paths['/api/silences/{id}']!['delete']!.responses)).toContain('200');
  });
});
