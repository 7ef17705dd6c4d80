/**
 * `config use <profile>`, shared by the `config use` command and `install --reviewer`: switches the
 * active profile in `<home>/config.toml`, creating the file from the template or a profile for a
 * reviewer's name when needed. Returns `{exitCode, output}` (no printing).
 */
import {
  addReviewerProfile,
  EXIT,
  initConfig,
  loadConfigFormat,
  loadReviewerSettings,
  useProfile,
  type EnvSource,
} from '../core/index.js';

// Loaded with this module (as static imports were): the sync helpers below need them.
const { ConfigFileError, CONFIG_TEMPLATE, configPath, parseConfig } = await loadConfigFormat();
const { isAgentProviderName, isPaidReviewer, isProviderName } = await loadReviewerSettings();
/** The error `loadConfig` throws for an unreadable config.toml. */
type ConfigFileError = InstanceType<typeof ConfigFileError>;

/** What a config subcommand produced. */
export interface ConfigCommandResult {
  exitCode: number;
  output: Record<string, unknown>;
}

/** Options shared by the subcommands. */
export interface ConfigCommandOptions {
  /** Environment for key presence and overrides (default `process.env`). */
  env?: EnvSource;
}

/** The `parse_error` result of an unreadable config.toml. */
export function parseError(path: string, error: ConfigFileError): ConfigCommandResult {
  return { exitCode: EXIT.usage, output: { status: 'parse_error', config_path: path, error: error.message } };
}

/** `config use <profile>`. */
export async function configUseCommand(
  home: string,
  profile: string | undefined,
  options: ConfigCommandOptions = {},
): Promise<ConfigCommandResult> {
  const name = profile?.trim() ?? '';
  if (name === '') {
    return {
      exitCode: EXIT.usage,
      output: { status: 'usage_error', error: 'config use needs a profile name' },
    };
  }
  let result;
  let created = false;
  try {
    result = await useProfile(home, name, options.env === undefined ? {} : { env: options.env });
    // With no config.toml yet, a profile of the built-in template works as it would after `config
    // init`: the file is created from the template (nothing is created for an unknown name).
    if (result.status === 'no_config' && templateProfiles().includes(name)) {
      await initConfig(home);
      result = await useProfile(home, name, options.env === undefined ? {} : { env: options.env });
    }
    // A reviewer's name works without a profile of that name: one naming it is added.
    if (result.status !== 'switched' && isProviderName(name)) {
      created = await addReviewerProfile(home, name);
      result = await useProfile(home, name, options.env === undefined ? {} : { env: options.env });
    }
  } catch (error) {
    if (error instanceof ConfigFileError) return parseError(configPath(home), error);
    throw error;
  }
  switch (result.status) {
    case 'no_config':
      return {
        exitCode: EXIT.failure,
        output: {
          status: 'no_config',
          config_path: result.path,
          error: 'no config.toml yet; run `config init` first',
        },
      };
    case 'unknown_profile':
      // A configuration error: exit 2, as README promises.
      return {
        exitCode: EXIT.usage,
        output: {
          status: 'unknown_profile',
          requested: result.requested,
          available: result.available,
          config_path: result.path,
          error: `no profile named ${JSON.stringify(result.requested)}`,
        },
      };
    case 'switched': {
      const output: Record<string, unknown> = {
        status: 'switched',
        active_profile: result.activeProfile,
        config_path: result.path,
      };
      if (created) output['created_profile'] = result.activeProfile;
      if (isPaidReviewer(name)) output['note'] = paidReviewerNote(name);
      return { exitCode: EXIT.ok, output };
    }
  }
}

/** The profile names of the built-in config template. */
function templateProfiles(): string[] {
  return Object.keys(parseConfig(CONFIG_TEMPLATE, { path: '<template>' }).config.profiles);
}

/** What choosing a paid reviewer costs and how to cap it (one line). */
export function paidReviewerNote(name: string): string {
  return (
    `the ${name} reviewer makes one small model call per finished turn that is not small talk, ` +
    `at most [review] max_per_day (default 200) a day; lower it in config.toml to cap the cost, ` +
    `and pick a small model${isAgentProviderName(name) ? ` with [review.${name}] model` : ' in the profile'}`
  );
}
