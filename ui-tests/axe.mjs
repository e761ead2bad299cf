// Accessibility checks with axe-core on the pages the journeys visit: no serious or critical
// violation of WCAG 2.1 A/AA. The script is evaluated through the DevTools protocol, which the
// pages' CSP (no inline script) does not govern, so the pages are checked as served.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export const audited = [];

/** Fails with what is wrong when `page` has a serious or critical violation. */
export async function audit(page, name) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(source);
  }
  const violations = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  }, TAGS);
  if (violations.length > 0) {
    throw new Error(`axe: ${name} (${page.url()}) has ${violations.length} serious or critical violation(s): ${JSON.stringify(violations, null, 1)}`);
  }
  audited.push(name);
}
