import { renderNetpolApply, NETPOL_FILE, NETPOL_STATE_FILE } from '../../src/lab/netpol';
import { NETPOL_REMOVE } from '../../src/netpol/nftables';

describe('NetworkPolicy apply script', () => {
  it('writes the rules and loads them in one nft -f (one transaction)', () => {
    const s = renderNetpolApply('table inet k8s-netlab-netpol {}\ndelete table inet k8s-netlab-netpol\n');
    expect(s).toContain(
      `cat > ${NETPOL_FILE} <<'K8S_NETLAB_NETPOL'\ntable inet k8s-netlab-netpol {}\ndelete table inet k8s-netlab-netpol\nK8S_NETLAB_NETPOL\n`,
    );
    // The chain hashes are recorded only once the transaction loaded (set -e stops before otherwise).
    const lines = s.trim().split('\n');
    expect(lines.indexOf(`nft -f ${NETPOL_FILE}`)).toBeLessThan(
      lines.indexOf(`cat > ${NETPOL_STATE_FILE} <<'K8S_NETLAB_NETPOL_STATE'`),
    );
    expect(lines.indexOf(`nft -f ${NETPOL_FILE}`)).toBeGreaterThan(0);
    expect(renderNetpolApply('x', { chains: { a: 'h' } })).toContain('{"chains":{"a":"h"}}');
    expect(s.startsWith('set -eu\n')).toBe(true);
  });
  it('with no rules, removes the table', () => {
    expect(renderNetpolApply('')).toContain(NETPOL_REMOVE.trim());
  });
  it('a delimiter inside the content is avoided', () => {
    expect(renderNetpolApply('# K8S_NETLAB_NETPOL\n')).toContain("<<'K8S_NETLAB_NETPOL_'");
  });
});
