import { renderNetpolApply, NETPOL_FILE } from '../../src/lab/netpol';
import { NETPOL_REMOVE } from '../../src/netpol/nftables';

describe('NetworkPolicy apply script', () => {
  it('writes the rules and loads them in one nft -f (one transaction)', () => {
    const s = renderNetpolApply('table inet k8s-netlab-netpol {}\ndelete table inet k8s-netlab-netpol\n');
    expect(s).toContain(
      `cat > ${NETPOL_FILE} <<'K8S_NETLAB_NETPOL'\ntable inet k8s-netlab-netpol {}\ndelete table inet k8s-netlab-netpol\nK8S_NETLAB_NETPOL\n`,
    );
    expect(s.trim().split('\n').pop()).toBe(`nft -f ${NETPOL_FILE}`);
    expect(s.startsWith('set -eu\n')).toBe(true);
  });
  it('with no rules, removes the table', () => {
    expect(renderNetpolApply('')).toContain(NETPOL_REMOVE.trim());
  });
  it('a delimiter inside the content is avoided', () => {
    expect(renderNetpolApply('# K8S_NETLAB_NETPOL\n')).toContain("<<'K8S_NETLAB_NETPOL_'");
  });
});
