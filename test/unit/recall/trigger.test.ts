import { describe, expect, it } from 'vitest';
import { evaluateRecallTrigger, isTrivialPrompt } from '../../../src/core/recall/trigger.js';

describe('evaluateRecallTrigger: explicit', () => {
  it('always triggers when explicit, even for small talk or an empty query', () => {
    expect(evaluateRecallTrigger('hi', { explicit: true })).toEqual({
      triggered: true,
      reasons: ['explicit'],
    });
    expect(evaluateRecallTrigger('', { explicit: true })).toEqual({ triggered: true, reasons: ['explicit'] });
  });

  it('lists explicit first, then cues, then repo_question', () => {
    expect(evaluateRecallTrigger('how do we deploy, remember?', { explicit: true }).reasons).toEqual([
      'explicit',
      'marker:remember',
      'marker:how do we',
      'repo_question',
    ]);
  });
});

describe('evaluateRecallTrigger: English cues', () => {
  it.each([
    ['Do you remember the lunch place?', 'marker:remember'],
    ['what did we pick last time for the font', 'marker:last time'],
    ['How did we fix that?', 'marker:how did we'],
    ['we decided something about naming', 'marker:we decided'],
    ['what is the convention for branch names', 'marker:convention'],
    ['the usual way to ship', 'marker:usual'],
    ['same as before', 'marker:before'],
    ['try that again', 'marker:again'],
    ['the previous approach', 'marker:previous'],
    ['as I said earlier', 'marker:earlier'],
  ])('%s → %s', (query, reason) => {
    const decision = evaluateRecallTrigger(query);
    expect(decision.triggered).toBe(true);
    expect(decision.reasons).toContain(reason);
  });

  it('matches cues as words, not inside other words', () => {
    expect(evaluateRecallTrigger('beforehand, sketch a logo').reasons).not.toContain('marker:before');
    expect(evaluateRecallTrigger('draw a rememberable logo').reasons).not.toContain('marker:remember');
  });
});

describe('evaluateRecallTrigger: Chinese cues', () => {
  it('triggers a single Chinese phrase with a history cue', () => {
    expect(evaluateRecallTrigger('上次那个问题')).toEqual({ triggered: true, reasons: ['marker:上次'] });
  });

  it('reports the longest cue only (还记得, not also 记得)', () => {
    expect(evaluateRecallTrigger('你还记得吗').reasons).toEqual(['marker:还记得']);
    expect(evaluateRecallTrigger('按我们约定的来').reasons).toEqual(['marker:我们约定']);
  });

  it('recognizes other cues', () => {
    expect(evaluateRecallTrigger('之前是怎么做的').reasons).toEqual(['marker:怎么做的', 'marker:之前']);
    expect(evaluateRecallTrigger('按惯例来').reasons).toEqual(['marker:惯例']);
  });
});

describe('evaluateRecallTrigger: repo questions', () => {
  it('triggers an engineering question without cue words', () => {
    expect(evaluateRecallTrigger('how do I run the integration tests').reasons).toEqual(['repo_question']);
  });

  it('triggers a single engineering word, an identifier or a path', () => {
    expect(evaluateRecallTrigger('deploy').triggered).toBe(true);
    expect(evaluateRecallTrigger('getUserById').reasons).toEqual(['repo_question']);
    expect(evaluateRecallTrigger('src/core/paths.ts').reasons).toEqual(['repo_question']);
  });

  it('triggers a single-word Chinese engineering query', () => {
    expect(evaluateRecallTrigger('部署').reasons).toEqual(['repo_question']);
    expect(evaluateRecallTrigger('数据库迁移失败').triggered).toBe(true);
  });

  it('does not trigger a multi-word prompt with nothing to recall (unlike the ≥2-words rule)', () => {
    expect(evaluateRecallTrigger('write me a poem about the sea')).toEqual({ triggered: false, reasons: [] });
    expect(evaluateRecallTrigger('what is the capital of France')).toEqual({ triggered: false, reasons: [] });
  });
});

describe('evaluateRecallTrigger: trivial prompts', () => {
  it.each([
    'hi',
    'Hello!',
    'thanks',
    'Thank you so much',
    'ok',
    'sounds good 👍',
    '谢谢',
    '好的',
    '你好！',
    '2+2',
    'what is 12*7?',
    '计算 3 + 4',
    '   ',
  ])('%j does not trigger', (query) => {
    expect(isTrivialPrompt(query)).toBe(true);
    expect(evaluateRecallTrigger(query)).toEqual({ triggered: false, reasons: [] });
  });

  it('treats small talk with a cue word as small talk', () => {
    expect(evaluateRecallTrigger('thanks again!')).toEqual({ triggered: false, reasons: [] });
  });

  it('does not treat a question that mentions numbers as arithmetic', () => {
    expect(isTrivialPrompt('why does port 5433 refuse connections')).toBe(false);
    expect(evaluateRecallTrigger('why does port 5433 refuse connections').triggered).toBe(true);
  });
});
