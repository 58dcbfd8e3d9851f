import { spawnSync } from 'child_process';
import { renderNodePowerCut } from '../../src/faults/render';
import { itWithTools } from '../tool-gate';

const canNetns = spawnSync('sh', ['-c', 'unshare --net true && command -v ip'], { stdio: 'ignore' }).status === 0;

describe('node-stop power cut', () => {
  itWithTools(canNetns ? undefined : 'cannot create a network namespace (needs root and iproute2)', 'a fresh netns')(
    "every link of the node's namespace goes down, loopback stays up (run in a throwaway namespace)",
    () => {
      const setup =
        'ip link set lo up; ip link add eth0 type veth peer name veth-pod; ip link set eth0 up; ip link set veth-pod up';
      const links = "ip -o link show | sed -E 's/^[0-9]+: ([^:@]+).*<([^>]*)>.*/\\1 \\2/'";
      const r = spawnSync(
        'unshare',
        ['--net', 'sh', '-ec', `${setup}; ${links}; echo ---; ${renderNodePowerCut()}; ${links}`],
        {
          encoding: 'utf8',
        },
      );
      expect(r.stderr).toBe('');
      const [before, after] = r.stdout.split('---\n').map((s) =>
        Object.fromEntries(
          s
            .trim()
            .split('\n')
            .map((l) => l.split(' '))
            .map(([name, flags]) => [name, flags.split(',').includes('UP')]),
        ),
      );
      expect(before).toEqual({ lo: true, eth0: true, 'veth-pod': true });
      expect(after).toEqual({ lo: true, eth0: false, 'veth-pod': false });
    },
  );
});
