// The Docker build context of the repository root as `docker build` sends it: the files of the work
// tree (tracked, and untracked ones git does not ignore) less what .dockerignore excludes.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Rule {
  regex: RegExp;
  exclude: boolean;
}

function toRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      if (pattern[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** .dockerignore's rules (docker's patternmatcher: last match wins, `!` re-includes, a matched folder excludes its contents). */
export function dockerignore(text: string): (path: string) => boolean {
  const rules: Rule[] = [];
  for (const line of text.split('\n')) {
    let p = line.trim();
    if (!p || p.startsWith('#')) continue;
    const exclude = !p.startsWith('!');
    if (!exclude) p = p.slice(1).trim();
    p = p.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\/\.\//g, '/');
    if (p === '' || p === '.') continue;
    rules.push({ regex: toRegex(p), exclude });
  }
  return (path: string) => {
    const parts = path.split('/');
    let excluded = false;
    for (const rule of rules) {
      // the path itself or one of its parent folders
      for (let n = parts.length; n >= 1; n--) {
        if (rule.regex.test(parts.slice(0, n).join('/'))) {
          excluded = rule.exclude;
          break;
        }
      }
    }
    return excluded;
  };
}

/** Paths (relative, `/`-separated) of the build context rooted at `root`. */
export function buildContext(root: string): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\0')
    .filter(Boolean);
  let ignored: (path: string) => boolean = () => false;
  try {
    ignored = dockerignore(readFileSync(join(root, '.dockerignore'), 'utf8'));
  } catch {
    // no .dockerignore: everything goes
  }
  // --cached also lists tracked files deleted from the work tree
  return listed.filter((p) => !ignored(p) && existsSync(join(root, p)));
}
