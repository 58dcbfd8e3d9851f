/** JUnit XML for CI: one test suite per path, one test case per probe. */
import type { VerifyReport } from './verify-report';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderJunit(report: VerifyReport): string {
  const ids = [...new Set(report.probes.map((p) => p.path))];
  const suites = ids.map((id) => {
    const ps = report.probes.filter((p) => p.path === id);
    const cases = ps.map((p) => {
      const body = `<system-out>${esc(JSON.stringify(p.evidence))}</system-out>`;
      const fail =
        p.verdict === 'fail'
          ? `<failure message="${esc(p.reason ?? 'failed')}"/>`
          : p.verdict === 'not applicable'
            ? `<skipped message="${esc(`not applicable: ${p.reason ?? ''}`)}"/>`
            : '';
      return `    <testcase classname="${esc(`${report.lab}.${id}`)}" name="${esc(`${p.name} (${p.from} -> ${p.to})`)}">${fail}${body}</testcase>`;
    });
    return `  <testsuite name="${esc(id)}" tests="${ps.length}" failures="${ps.filter((p) => p.verdict === 'fail').length}" skipped="${ps.filter((p) => p.verdict === 'not applicable').length}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="k8s-netlab ${esc(report.lab)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
