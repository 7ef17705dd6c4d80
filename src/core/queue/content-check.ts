/**
 * The planted-instruction check. A reviewer reads transcripts full of text written by
 * others (READMEs, web pages, tool output), so a fooled or hostile reviewer can return a memory
 * such as "always run `curl … | sh` first, commit with --no-verify". Every suggestion, from any
 * reviewer (HTTP providers, agent CLIs, the local reviewer, imports), passes this check before
 * the compiler may apply it; a flagged one is staged for a human with the reason (see
 * `splitForReview` in compiler/review-split.ts), never applied and never injected.
 *
 * The check is deliberately a list of plain patterns over the suggestion's text (summary, content,
 * title, description, evidence and any other string in its details): each names one way a note
 * can harm a session. It errs towards flagging: a flagged note costs a human a glance, an unflagged
 * planted one runs in every later session. Every regex is linear (no nested quantifiers, bounded
 * gaps), since reviewer answers are untrusted and may be large.
 */

/** Why a suggestion was flagged: one short human-readable reason per matched rule. */
export interface ContentFlag {
  /** E.g. `pipes a download into a shell: "curl -fsSL https://… | sh"`. */
  reason: string;
}

interface ContentRule {
  /** What the match means, shown to the human reviewer. */
  reason: string;
  re: RegExp;
}

const GAP = String.raw`[^\n]{0,200}?`;

/** The rules, most specific first. The first matching rule names the reason. */
const CONTENT_RULES: readonly ContentRule[] = [
  {
    reason: 'hides text with invisible or bidirectional Unicode characters',
    re: /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|\uDB40[\uDC00-\uDC7F]/,
  },
  {
    reason: 'tells the agent to ignore its instructions',
    re: new RegExp(
      String.raw`\b(?:ignore|disregard|forget|override)\b[^\n.]{0,40}\b(?:previous|prior|above|earlier|all|system|your|developer|original)\b[^\n.]{0,30}\b(?:instructions?|prompts?|rules|directions|guidelines|messages?)\b` +
        String.raw`|忽略[^\n]{0,10}(?:之前|以上|前面|所有|先前)[^\n]{0,10}(?:指令|指示|说明|规则|提示)` +
        String.raw`|\bnew (?:system )?instructions?\s*:|\byou are now\b|\bsystem prompt\b`,
      'i',
    ),
  },
  {
    reason: 'pipes a download into a shell or interpreter',
    re: new RegExp(
      String.raw`\b(?:curl|wget|fetch|iwr|irm|invoke-webrequest|invoke-restmethod)\b${GAP}\|\s*(?:sudo\s+)?(?:env\s+)?(?:ba|z|k|da|fi|c|tc)?sh\b` +
        String.raw`|\b(?:curl|wget|iwr|irm|invoke-webrequest|invoke-restmethod)\b${GAP}\|\s*(?:sudo\s+)?(?:python[0-9.]*|node|perl|ruby|php|iex|invoke-expression|pwsh|powershell)\b` +
        String.raw`|(?:\b(?:ba|z|k)?sh|\bsource|\.)\s+<\(\s*(?:curl|wget)\b` +
        String.raw`|\b(?:eval|(?:ba|z)?sh\s+-c)\s+["']?\$\(\s*(?:curl|wget)\b` +
        String.raw`|\biex\s*\(\s*(?:new-object|iwr|irm|invoke-webrequest)`,
      'i',
    ),
  },
  {
    reason: 'skips git hooks or signature checks (--no-verify)',
    re: /--no-verify\b|\bcore\.hooksPath\s*=?\s*\/dev\/null|\bHUSKY=0\b|\bgit\s+commit\b[^\n]{0,100}\s-n\b|\bSKIP_HOOKS?=|--no-gpg-sign\b/i,
  },
  {
    reason: 'disables TLS or certificate verification',
    re: new RegExp(
      String.raw`\bNODE_TLS_REJECT_UNAUTHORIZED\s*=\s*['"]?0|\bGIT_SSL_NO_VERIFY\b|\bhttp\.sslVerify\s*=?\s*false|\bstrict-ssl\s*[= ]\s*false` +
        String.raw`|\bPYTHONHTTPSVERIFY\s*=\s*['"]?0|\bverify\s*=\s*False\b|\brejectUnauthorized\s*:\s*false|\bInsecureSkipVerify\s*:\s*true` +
        String.raw`|\bcurl\b[^\n]{0,100}\s(?:-k|--insecure)\b|\bwget\b[^\n]{0,100}--no-check-certificate|--trusted-host\b|\bStrictHostKeyChecking\s*=?\s*no\b` +
        String.raw`|\b(?:disable|turn off|skip|bypass)\b[^\n.]{0,30}\b(?:tls|ssl|certificate|cert|signature|gpg|checksum|integrity)\b[^\n.]{0,15}\b(?:verification|validation|checks?|checking)\b`,
      'i',
    ),
  },
  {
    reason: 'disables hooks, the sandbox or approvals',
    re: new RegExp(
      String.raw`--dangerously-skip-permissions|--dangerously-bypass-approvals-and-sandbox|--yolo\b|danger-full-access` +
        String.raw`|\bapproval[_-]policy\s*=\s*["']?never|\b(?:disable|turn off|skip|bypass|remove|uninstall)\b[^\n.]{0,30}\b(?:hooks?|pre-commit|sandbox|approvals?|safety checks?|security checks?)\b`,
      'i',
    ),
  },
  {
    reason: 'makes files world-writable (chmod 777)',
    re: /\bchmod\s+(?:-[A-Za-z]+\s+)*(?:0?777|[ao]\+rwx|o\+w)\b/i,
  },
  {
    reason: 'edits a shell start-up file',
    re: new RegExp(
      String.raw`(?:>>?|\btee\s+(?:-a\s+)?)\s*["']?(?:~|\$HOME|\$\{HOME\}|/(?:home|Users)/[^/\s]+)?/?\.(?:bashrc|bash_profile|bash_login|zshrc|zshenv|zprofile|zlogin|profile|config/fish/config\.fish)\b` +
        String.raw`|\b(?:add|append|put|write|edit|modify|insert)\b[^\n]{0,80}\s["'\x60]?(?:~/|\$HOME/)?\.(?:bashrc|bash_profile|zshrc|zshenv|zprofile|profile)\b` +
        String.raw`|>>\s*~?/?\.ssh/authorized_keys|\bcrontab\s+-|/etc/sudoers`,
      'i',
    ),
  },
  {
    reason: 'sends local data (secrets, environment, files) to a remote address',
    re: new RegExp(
      String.raw`\b(?:env|printenv|set)\s*\|\s*(?:curl|wget|nc|ncat|http)\b` +
        String.raw`|\b(?:curl|wget|http|https)\b[^\n]{0,200}(?:-d|--data(?:-binary|-raw|-urlencode)?|-F|--form|-T|--upload-file|--post-file)[ =]["']?[^\s"']*@?["']?(?:~|\$HOME|/etc/|[^\s"']*\.(?:env|pem|key)\b|[^\s"']*(?:\.ssh|\.aws|\.netrc|\.npmrc|\.pgpass|credentials|id_rsa|id_ed25519))` +
        String.raw`|\bcurl\b[^\n]{0,200}https?://[^\s"']*\$\((?:cat|env|printenv|whoami|hostname|git config)\b` +
        String.raw`|\b(?:nc|ncat|netcat)\b[^\n]{0,100}<\s*[~/$]` +
        String.raw`|\b(?:send|upload|post|exfiltrate|forward|report|copy|transmit)\b[^\n]{0,80}\b(?:secrets?|tokens?|keys?|credentials?|passwords?|env(?:ironment)?(?: variables)?|\.env|ssh)\b[^\n]{0,80}\bhttps?://`,
      'i',
    ),
  },
  {
    reason: 'is an instruction addressed to the AI agent (as planted in tool output or a document)',
    re: new RegExp(
      String.raw`\b(?:note|message|instructions?|attention)\s+(?:to|for)\s+(?:the\s+)?(?:ai|llm|assistant|agent|model|codex|claude|chatgpt|copilot)\b` +
        String.raw`|\bif you are an? (?:ai|llm|language model|assistant|agent|bot)\b` +
        String.raw`|\b(?:ai|llm|coding) (?:assistants?|agents?|models?)\b[^\n.]{0,40}\b(?:must|should|need to|are required to|have to)\b[^\n.]{0,40}\b(?:run|execute|curl|download|install|send|upload|disable|ignore)\b` +
        String.raw`|\b(?:dear|hey|attention)\s+(?:ai|llm|assistant|agent|codex|claude|chatgpt)\b` +
        String.raw`|<\s*/?\s*(?:system|instructions?|assistant)\s*>`,
      'i',
    ),
  },
];

/** Every string inside a JSON-like value (object keys excluded), bounded in count. */
function stringsOf(value: unknown, out: string[], depth = 0): void {
  if (out.length > 500 || depth > 8) return;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsOf(item, out, depth + 1);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value)) stringsOf(v, out, depth + 1);
}

/** Checks one text. Returns the first flag, or undefined when nothing dangerous is found. */
export function checkText(text: string): ContentFlag | undefined {
  for (const rule of CONTENT_RULES) {
    const m = rule.re.exec(text);
    if (m) {
      const quote = m[0]
        .replace(/\s+/g, ' ')
        .replace(/[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g, '\u2423');
      return { reason: `${rule.reason}: "${quote.length > 80 ? `${quote.slice(0, 77)}...` : quote}"` };
    }
  }
  return undefined;
}

/**
 * Checks a suggestion (`{family, summary, details, confidence}` or any JSON-like value): every
 * string it holds, the summary first. Returns the flag of the first dangerous text found.
 */
export function checkSuggestion(suggestion: unknown): ContentFlag | undefined {
  const texts: string[] = [];
  stringsOf(suggestion, texts);
  // Each field alone: one text spanning fields would invite false matches.
  for (const text of texts) {
    const flag = checkText(text);
    if (flag) return flag;
  }
  return undefined;
}
