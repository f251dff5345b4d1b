// The suite's closing line, "tests: N passed, N failed", summed over Vitest's and Playwright's
// JSON reports and the scripted checks of scripts/test.sh; a CI reader looks for that line. It is
// reached only when every step passed (test.sh stops at the first failure, whose own runner says
// what failed), so it counts what ran rather than deciding anything.
import { readFileSync } from 'node:fs';

const [vitestJson, playwrightJson, scriptedArg] = process.argv.slice(2);
if (vitestJson === undefined || playwrightJson === undefined || scriptedArg === undefined) {
  console.error('usage: node scripts/test-summary.mjs VITEST.json PLAYWRIGHT.json SCRIPTED_CHECKS');
  process.exit(2);
}
const vitest = JSON.parse(readFileSync(vitestJson, 'utf8'));
const { stats } = JSON.parse(readFileSync(playwrightJson, 'utf8'));
const scripted = Number(scriptedArg);
const rows = [
  ['vitest', vitest.numPassedTests, vitest.numFailedTests],
  ['playwright', stats.expected + stats.flaky, stats.unexpected],
  ['scripted checks', scripted, 0],
];
// Only the closing line has the 'N passed, N failed' shape, so a reader finds exactly one.
console.log(`counted: ${rows.map(([name, p, f]) => `${name} ${p} passing and ${f} failing`).join('; ')}`);
const passed = rows.reduce((sum, [, p]) => sum + p, 0);
const failed = rows.reduce((sum, [, , f]) => sum + f, 0);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
