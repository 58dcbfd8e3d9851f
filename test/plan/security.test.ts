import { BASE_CAPS, HELPER_CAPS, privilegesFor, READONLY_PATHS, ROLE_CAPS, roleCaps } from '../../src/plan/security';
import { securityHostConfig } from '../../src/runtime/containers';

describe('capability table per role', () => {
  it('every lab role starts from nothing (CapDrop ALL) and gets back only listed, justified capabilities', () => {
    for (const role of Object.keys(ROLE_CAPS) as Array<keyof typeof ROLE_CAPS>) {
      const p = privilegesFor(role);
      expect(p.capDrop).toEqual(['ALL']);
      for (const c of p.capAdd) expect((BASE_CAPS[c] ?? ROLE_CAPS[role][c] ?? '').length).toBeGreaterThan(10);
    }
  });
  it('only nodes and the attach helper hold SYS_ADMIN; VPC, gateway, Internet host and LB have NET_ADMIN/NET_RAW beyond the base', () => {
    const withSysAdmin = (Object.keys(ROLE_CAPS) as Array<keyof typeof ROLE_CAPS>).filter((r) =>
      roleCaps(r).includes('SYS_ADMIN'),
    );
    expect(withSysAdmin).toEqual(['node']);
    for (const r of ['vpc', 'igw', 'internet', 'lb'] as const) {
      expect(roleCaps(r).filter((c) => !(c in BASE_CAPS))).toEqual(['NET_ADMIN']);
      expect(roleCaps(r)).toContain('NET_RAW');
    }
    expect(roleCaps('helper', 'links').filter((c) => !(c in BASE_CAPS))).toEqual(['NET_ADMIN']);
    expect(Object.keys(HELPER_CAPS.attach)).toContain('SYS_ADMIN');
  });
  it('nothing dangerous is ever granted', () => {
    for (const role of [...Object.keys(ROLE_CAPS), 'helper'] as Array<keyof typeof ROLE_CAPS>)
      for (const c of [
        'SYS_MODULE',
        'SYS_PTRACE',
        'SYS_RAWIO',
        'DAC_READ_SEARCH',
        'SYS_BOOT',
        'SYS_TIME',
        'MKNOD',
        'BPF',
        'PERFMON',
      ])
        expect(roleCaps(role)).not.toContain(c);
  });
  it('container pods (user images) keep the engine defaults untouched', () => {
    expect(privilegesFor('pod')).toEqual({ capDrop: [], capAdd: [], securityOpt: [] });
  });
  it('/proc/sys is read-only except /proc/sys/net; seccomp is never unconfined; cgroupns private; not privileged', () => {
    expect(READONLY_PATHS).toContain('/proc/sys/kernel');
    expect(READONLY_PATHS).toContain('/proc/sys/vm');
    expect(READONLY_PATHS).not.toContain('/proc/sys');
    expect(READONLY_PATHS.some((p) => p.startsWith('/proc/sys/net'))).toBe(false);
    for (const role of ['node', 'vpc', 'ingress', 'pod'] as const) {
      const hc = securityHostConfig(privilegesFor(role));
      expect(JSON.stringify(hc.SecurityOpt ?? [])).not.toMatch(/seccomp|systempaths/);
      expect(hc.CgroupnsMode).toBe('private');
      expect(hc.Privileged).toBe(false);
      expect(hc.MaskedPaths).toBeUndefined();
    }
    expect(securityHostConfig(privilegesFor('ingress')).SecurityOpt).toBeUndefined();
  });
});

describe('AppArmor per role', () => {
  it('only the roles that mount or write /proc/sys/net at run time are unconfined', () => {
    expect(privilegesFor('internet').securityOpt).toEqual([]);
    expect(privilegesFor('ingress').securityOpt).toEqual([]);
    for (const r of ['node', 'vpc', 'igw', 'lb', 'helper'] as const)
      expect(privilegesFor(r).securityOpt).toEqual(['apparmor=unconfined']);
  });
});
