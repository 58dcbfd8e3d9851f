/** The node's own time of its observation: rendered as the script's last line, read back from its output. */
import { parseObservedAt, renderObservedAt } from '../../src/plan/observed-at';

it('renders a date in ms and reads it back from among the observation lines', () => {
  expect(renderObservedAt()).toBe('echo observed-at $(date +%s%3N)');
  expect(parseObservedAt('pod1 web 1 1\npod2 web 1 0\nobserved-at 1796072980601\n')).toBe(1796072980601);
});

it('no time when the line is missing or not a time in ms (a date without %N support prints %3N)', () => {
  expect(parseObservedAt('pod1 web 1 1\n')).toBeUndefined();
  expect(parseObservedAt('observed-at 1796072980%3N\n')).toBeUndefined();
  expect(parseObservedAt('observed-at 1796072980\n')).toBeUndefined();
});
