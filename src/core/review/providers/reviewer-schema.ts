/**
 * The reviewer's answer as a JSON Schema, for agents that can enforce one (`codex exec
 * --output-schema`). Written for OpenAI's strict structured outputs, which Codex requests:
 * every object lists all its properties as required and forbids others, so optional fields are
 * nullable. The shared parser (parse.ts) reads a null field as absent, so the answer is judged
 * like every other reviewer's.
 */

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, 'null'], ...extra });
const strings = { type: 'array', items: { type: 'string' } };
const evidence = {
  type: ['object', 'null'],
  properties: { turn: nullable('integer'), quote: { type: 'string' } },
  required: ['turn', 'quote'],
  additionalProperties: false,
};

function item(details: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      summary: { type: 'string' },
      details: {
        type: 'object',
        properties: details,
        required: Object.keys(details),
        additionalProperties: false,
      },
      confidence: { type: 'number' },
    },
    required: ['summary', 'details', 'confidence'],
    additionalProperties: false,
  };
}

/** JSON Schema of a ReviewerOutput, strict-mode compatible. */
export const REVIEWER_OUTPUT_JSON_SCHEMA: Readonly<Record<string, unknown>> = {
  type: 'object',
  properties: {
    memory_updates: {
      type: 'array',
      items: item({
        action: nullable('string', { enum: ['add', 'replace', 'remove', null] }),
        scope: nullable('string', { enum: ['user', 'global', null] }),
        old_summary: nullable('string'),
        content: { type: 'string' },
        source_paths: strings,
        evidence,
      }),
    },
    recall_candidate: {
      type: 'array',
      items: item({ content: { type: 'string' }, source_paths: strings, evidence }),
    },
    skill_action: {
      type: 'array',
      items: item({
        action: { type: 'string', enum: ['create', 'patch', 'edit', 'retire'] },
        skill_id: { type: 'string' },
        title: { type: 'string' },
        description: { type: 'string' },
        content: { type: 'string' },
      }),
    },
  },
  required: ['memory_updates', 'recall_candidate', 'skill_action'],
  additionalProperties: false,
};
