/** What one command run in a lab container returned (src/runtime/exec.ts runs it; probes and fakes return it). */
export interface ExecResult {
  container: string;
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  failed: boolean;
}
