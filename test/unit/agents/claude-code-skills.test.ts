/**
 * Native skills for Claude Code: after a compile, the repository's active managed skills are also
 * written into the skills folder of every agent `install` recorded (Claude Code's
 * `<config>/skills/<name>/SKILL.md`), with that folder's own ledger, reconciled on every call and
 * never touching a folder this tool did not create.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  readAgentInstallRecords,
  removeAgentInstallRecord,
  writeAgentInstallRecord,
} from '../../../src/core/agents/install-record.js';
import { publishNativeSkills } from '../../../src/core/compiler/compile.js';
import { PLUGIN_OWNER } from '../../../src/core/constants.js';
import { ensureRuntimeDirs, resolveStatePaths } from '../../../src/core/paths.js';
import { nativeSkillName } from '../../../src/core/skills/publish.js';
import { tempDir } from '../../helpers/tmp.js';

const CONTENT =
  '# Deploy\n\nRun `pnpm build`, then `fly deploy --strategy rolling`; check the health endpoint and verify the release tag before announcing it.\n';

function bucket() {
  const root = tempDir('csep-cc-skills-');
  const repo = join(root, 'shop');
  const home = join(root, 'csep');
  const claudeDir = join(root, 'claude-config');
  mkdirSync(repo);
  const paths = resolveStatePaths({ cwd: repo, home });
  ensureRuntimeDirs(paths);
  mkdirSync(paths.skillsManagedDir, { recursive: true });
  const manifest = (status: string) =>
    writeFileSync(
      paths.skillsManifest,
      JSON.stringify({
        skills: [
          {
            skill_id: 'deploy-fly',
            title: 'Deploy to Fly',
            description: 'Use when deploying the shop.',
            status,
            managed: true,
            owner: PLUGIN_OWNER,
            updated_at: '2026-11-01T00:00:00Z',
          },
        ],
      }),
    );
  writeFileSync(join(paths.skillsManagedDir, 'deploy-fly.md'), CONTENT);
  return { root, repo, home, claudeDir, paths, manifest };
}

describe('native skills in Claude Code', () => {
  it('are published where install put the Claude Code hooks, reconciled, and never over a foreign folder', () => {
    const { home, claudeDir, paths, manifest } = bucket();
    manifest('active');
    const name = nativeSkillName(paths.repoKey, 'deploy-fly');
    // Not installed for Claude Code: nothing goes there.
    expect(publishNativeSkills(paths).agents).toBeUndefined();
    expect(existsSync(join(claudeDir, 'skills'))).toBe(false);

    writeAgentInstallRecord(home, {
      agent: 'claude-code',
      config_dir: claudeDir,
      skills_dir: join(claudeDir, 'skills'),
      installed_at: '2026-12-07T00:00:00Z',
    });
    expect(readAgentInstallRecords(home).map((r) => r.agent)).toEqual(['claude-code']);
    const foreign = join(claudeDir, 'skills', 'my-own-skill');
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, 'SKILL.md'), '---\nname: my-own-skill\n---\nmine\n');

    const result = publishNativeSkills(paths);
    expect(result.agents?.['claude-code']?.published).toEqual([
      expect.objectContaining({ skill_id: 'deploy-fly', name, action: 'created' }),
    ]);
    const skill = readFileSync(join(claudeDir, 'skills', name, 'SKILL.md'), 'utf8');
    expect(skill).toContain(`name: ${name}`);
    expect(skill).toContain('fly deploy --strategy rolling');
    // Codex gets it too, each folder with its own ledger.
    expect(result.published.map((p) => p.name)).toEqual([name]);
    expect(existsSync(join(home, 'native-skills.json'))).toBe(true);
    expect(existsSync(join(home, 'native-skills.claude-code.json'))).toBe(true);
    expect(publishNativeSkills(paths).agents?.['claude-code']?.published[0]?.action).toBe('unchanged');

    // Retired: removed from Claude Code's folder; the user's own skill stays.
    manifest('retired');
    expect(publishNativeSkills(paths).agents?.['claude-code']?.removed).toEqual([
      expect.objectContaining({ name, reason: 'retired' }),
    ]);
    expect(existsSync(join(claudeDir, 'skills', name))).toBe(false);
    expect(readFileSync(join(foreign, 'SKILL.md'), 'utf8')).toContain('mine');

    removeAgentInstallRecord(home, 'claude-code');
    expect(readAgentInstallRecords(home)).toEqual([]);
  });

  it('a damaged or misnamed record publishes nothing', () => {
    const { home } = bucket();
    mkdirSync(join(home, 'agents'), { recursive: true });
    writeFileSync(join(home, 'agents', 'claude-code.json'), '{broken');
    writeFileSync(
      join(home, 'agents', 'other.json'),
      JSON.stringify({ agent: 'x', config_dir: '/', skills_dir: '/' }),
    );
    expect(readAgentInstallRecords(home)).toEqual([]);
  });
});
