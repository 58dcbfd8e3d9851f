/** The one edge of the graph renderers: Graphviz's `dot` turns DOT into SVG (Debian package graphviz). */
import execa from 'execa';
import { LabError } from '../errors';

export async function dotToSvg(dot: string): Promise<string> {
  let r;
  try {
    r = await execa('dot', ['-Tsvg'], { input: dot, reject: false, stripFinalNewline: false });
  } catch (err) {
    throw new LabError('Graphviz `dot` could not be run', {
      hint: 'install Graphviz (apt-get install graphviz; scripts/setup-test-host.sh does), or use --format dot|mermaid',
      cause: err,
    });
  }
  if ((r as { code?: string }).code === 'ENOENT' || r.exitCode === 127) {
    throw new LabError('Graphviz `dot` is not installed', {
      hint: 'install Graphviz (apt-get install graphviz; scripts/setup-test-host.sh does), or use --format dot|mermaid',
    });
  }
  if (r.exitCode !== 0) throw new LabError(`dot -Tsvg failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
  return r.stdout;
}
