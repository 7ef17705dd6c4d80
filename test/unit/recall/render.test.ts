import { describe, expect, it } from 'vitest';
import {
  focusedRecallStatus,
  renderFocusedRecallLines,
  renderFocusedRecallMarkdown,
} from '../../../src/core/recall/render.js';

const HIT = {
  id: 'abc123',
  summary: 'Run tests with uv',
  content: 'Tests run with `uv run pytest -q`.\n\n',
  source_paths: ['tests/conftest.py', 'pyproject.toml'],
};

describe('renderFocusedRecallMarkdown', () => {
  it('renders matched results with provenance', () => {
    expect(
      renderFocusedRecallMarkdown({
        query: 'run tests',
        results: [HIT, { id: 'x2', summary: 'Second', content: 'Body' }],
      }),
    ).toBe(
      [
        '## Focused Recall',
        '',
        'Status: matched',
        'Query: run tests',
        'Results: 2',
        '',
        '### 1. Run tests with uv',
        '',
        'Tests run with `uv run pytest -q`.',
        '',
        'Provenance: tests/conftest.py, pyproject.toml',
        '',
        '### 2. Second',
        '',
        'Body',
        '',
      ].join('\n'),
    );
  });

  it('falls back to the id when the summary is blank, and skips blank provenance entries', () => {
    const out = renderFocusedRecallMarkdown({
      query: 'q',
      results: [{ id: 'abc', summary: '  ', content: 'C', source_paths: ['', ' '] }],
    });
    expect(out).toContain('### 1. abc\n\nC\n');
    expect(out).not.toContain('Provenance');
  });

  it('renders no_match', () => {
    expect(renderFocusedRecallMarkdown({ query: 'weather', results: [] })).toBe(
      '## Focused Recall\n\nStatus: no_match\nQuery: weather\nResults: 0\n\n' +
        'No matching recall was found. Continue with the current repo and conversation context. Do not invent prior context.\n',
    );
  });

  it('renders not_triggered', () => {
    expect(renderFocusedRecallMarkdown({ query: 'hi', triggered: false, results: [] })).toBe(
      '## Focused Recall\n\nStatus: not_triggered\nQuery: hi\nResults: 0\n\n' +
        'Recall was not triggered by the current policy. Continue with the current repo and conversation context.\n',
    );
  });

  it('renders a soft error, which wins over not_triggered', () => {
    expect(
      renderFocusedRecallMarkdown({ query: 'q', triggered: false, error: 'SchemaError: bad record' }),
    ).toBe(
      '## Focused Recall\n\nStatus: error\nQuery: q\nResults: 0\n\n' +
        'Recall failed softly: SchemaError: bad record\n' +
        'Continue with the current repo and conversation context. Do not invent prior context.\n',
    );
  });

  it('omits the Query line for a blank query', () => {
    expect(renderFocusedRecallMarkdown({ query: '   ', results: [] })).toMatch(
      /^## Focused Recall\n\nStatus: no_match\nResults: 0\n/,
    );
  });

  it('always ends with exactly one newline', () => {
    for (const view of [
      { query: 'q', results: [HIT] },
      { query: 'q', results: [{ ...HIT, source_paths: [] }] },
      { query: 'q', results: [] },
      { query: 'q', triggered: false },
      { error: 'x' },
    ]) {
      const out = renderFocusedRecallMarkdown(view);
      expect(out.endsWith('\n')).toBe(true);
      expect(out.endsWith('\n\n')).toBe(false);
    }
  });
});

describe('focusedRecallStatus', () => {
  it('orders error > not_triggered > matched / no_match', () => {
    expect(focusedRecallStatus({ error: 'e', triggered: false, results: [HIT] })).toBe('error');
    expect(focusedRecallStatus({ triggered: false, results: [HIT] })).toBe('not_triggered');
    expect(focusedRecallStatus({ triggered: true, results: [HIT] })).toBe('matched');
    expect(focusedRecallStatus({ results: [] })).toBe('no_match');
  });
});

describe('renderFocusedRecallLines', () => {
  it('renders one "- summary: content" line per result', () => {
    expect(renderFocusedRecallLines([HIT, { summary: 'S', content: 'C' }])).toBe(
      '- Run tests with uv: Tests run with `uv run pytest -q`.\n\n\n- S: C',
    );
    expect(renderFocusedRecallLines([])).toBe('');
  });
});
