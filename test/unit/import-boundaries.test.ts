/**
 * The house's import boundaries are lint rules (eslint.config.mjs). For every room, a probe that
 * plants each forbidden import beside imports the room may use: exactly the planted lines fail,
 * each with the rule's reason. The real tree passing the same rules is `npm test`'s lint step.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

interface Room {
  /** An existing file of the room (the type-aware parser lints the probe as if it were this file). */
  readonly as: string;
  readonly allowed: readonly string[];
  /** Forbidden specifier → a word of the message it must print. */
  readonly banned: Readonly<Record<string, string>>;
}

const ROOMS: Record<string, Room> = {
  'activities/': {
    as: 'activities/index.ts',
    allowed: ['./sources/index', './sources/types', './errors', '../workflows/contracts/series'],
    banned: {
      '../simulator/server': 'test double',
      '../stack/index': 'stack/',
      '../cli/main': 'cli/',
      '../client/start': 'client/',
      '../dashboard/server': 'dashboard/',
      './sources/data-api/index': 'registry',
    },
  },
  'activities/sources/<id>/': {
    as: 'activities/sources/data-api/index.ts',
    allowed: ['./config', '../types', '../http-config', '../../errors', '../../rate-limits'],
    banned: {
      '../min-api/histo': 'another source',
      '../../../simulator/sources/data-api/index': 'test double',
      '../../../stack/index': 'stack/',
      '../../../cli/main': 'cli/',
      '../../../client/start': 'client/',
      '../../../dashboard/queries': 'dashboard/',
    },
  },
  'workers/': {
    as: 'workers/config.ts',
    allowed: ['../activities/sources/index', '../activities/errors', './run-main'],
    banned: {
      '../simulator/main': 'test double',
      '../stack/cli-support': 'stack/',
      '../cli/errors': 'cli/',
      '../client/start': 'client/',
      '../dashboard/server': 'dashboard/',
      '../activities/sources/min-api/config': 'registry',
    },
  },
  'client/': {
    as: 'client/start.ts',
    allowed: ['../activities/errors', '../workflows/contracts/ids', './schedule-plan'],
    banned: {
      '../simulator/server': 'test double',
      '../stack/jobs': 'stack/',
      '../cli/errors': 'cli/',
      '../dashboard/workflows': 'dashboard/',
      '../activities/sources/data-api/config': 'registry',
    },
  },
  'dashboard/': {
    as: 'dashboard/server.ts',
    allowed: ['../activities/db/pool', '../activities/metrics', '../workflows/contracts/series', './queries'],
    banned: {
      '../simulator/server': 'test double',
      '../stack/index': 'stack/',
      '../cli/connect': 'cli/',
      '../client/start': 'client/',
      '../activities/sources/data-api/config': 'registry',
    },
  },
  'cli/': {
    as: 'cli/main.ts',
    allowed: ['../client/start', '../activities/sources/index', './errors', '../dashboard/server'],
    banned: {
      '../stack/jobs': 'stack/',
      '../simulator/control-client': 'test double',
      '../activities/sources/data-api/index': 'registry',
    },
  },
  'stack/': {
    as: 'stack/main.ts',
    allowed: ['../client/backfill', '../simulator/sources/index', '../activities/sources/index', './processes'],
    banned: {
      '../cli/start': 'cli/',
      '../simulator/sources/min-api/index': 'registry',
    },
  },
  'simulator/': {
    as: 'simulator/server.ts',
    allowed: ['./types', './sources/index', '../activities/rate-limits'],
    banned: {
      '../stack/index': 'stack/',
      '../cli/main': 'cli/',
      '../client/start': 'client/',
      '../dashboard/server': 'dashboard/',
      './sources/data-api/catalog': 'registry',
    },
  },
  'simulator/sources/<id>/': {
    as: 'simulator/sources/data-api/index.ts',
    allowed: ['./catalog', '../../types', '../../random', '../../../activities/rate-limits'],
    banned: {
      '../min-api/catalog': 'another source',
      '../../../activities/sources/data-api/schemas': 'independent of the client',
      '../../../stack/index': 'stack/',
      '../../../cli/main': 'cli/',
      '../../../client/start': 'client/',
      '../../../dashboard/server': 'dashboard/',
    },
  },
};

function probe(room: Room): { text: string; bannedLines: Map<number, string> } {
  const specs = [...room.allowed, ...Object.keys(room.banned)];
  const lines = specs.map((spec, i) => `import { x${i} } from '${spec}';`);
  lines.push(`export const used = [${specs.map((_, i) => `x${i}`).join(', ')}];`);
  const bannedLines = new Map<number, string>();
  Object.values(room.banned).forEach((word, i) => bannedLines.set(room.allowed.length + i + 1, word));
  return { text: lines.join('\n') + '\n', bannedLines };
}

describe('import boundaries (eslint)', () => {
  const eslint = new ESLint({ cwd: process.cwd() });

  for (const [name, room] of Object.entries(ROOMS)) {
    it(`${name}: every planted forbidden import fails with its reason, the allowed ones pass`, async () => {
      const { text, bannedLines } = probe(room);
      const [result] = await eslint.lintText(text, { filePath: room.as });
      const flagged = result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports');
      expect(flagged.map((m) => m.line).sort((a, b) => a - b)).toEqual([...bannedLines.keys()]);
      for (const m of flagged) expect(m.message).toContain(bannedLines.get(m.line));
    }, 60_000);
  }

  it('tests outside the rooms may import anything (test/ drives the simulator and the stack)', async () => {
    const text = `import { a } from '../../simulator/sources/data-api/catalog';\nimport { b } from '../../stack/index';\nimport { c } from '../../cli/main';\nexport const used = [a, b, c];\n`;
    const [result] = await eslint.lintText(text, { filePath: 'test/unit/simulator-twins.test.ts' });
    expect(result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')).toEqual([]);
  }, 60_000);
});
