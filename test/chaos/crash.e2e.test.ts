import { afterEach, expect, it } from 'vitest';
import { killChildren } from '../cli/cliHarness.js';
import { runCrashCampaign } from './support/crashCampaign.js';

// The crash campaign (issue 14). Short form in `npm test`; `npm run chaos` runs the long form
// (ECL_CHAOS=long: at least 200 kills). ECL_CHAOS_SEED repeats a campaign exactly as it ran.

const long = process.env.ECL_CHAOS === 'long';
const seed = Number(process.env.ECL_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

afterEach(() => killChildren());

it(
  `SIGKILLs ecl serve and ecl run at random moments and loses nothing (${long ? 'long' : 'short'} form, seed ${seed})`,
  async () => {
    const figures = await runCrashCampaign({
      serveKills: long ? 170 : 22,
      runKills: long ? 45 : 8,
      seed,
      ...(long || process.env.ECL_CHAOS_VERBOSE ? { log: (line: string) => console.log(line) } : {}),
    });
    console.log(`crash campaign (${long ? 'long' : 'short'}): ${JSON.stringify({ ...figures, violations: figures.violations.length })}`);
    expect(figures.violations).toEqual([]);
    expect(figures.kills.serve + figures.kills.run).toBeGreaterThanOrEqual(long ? 200 : 30);
  },
  long ? 3_600_000 : 300_000,
);
