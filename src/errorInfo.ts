// TEMPORARY until h-scan's src/scan/errors.ts lands (httpErrorInfo there replaces this).
import type { ScanErrorInfo } from './scan/types';

export function httpErrorInfo(
  error: unknown,
  conflict: 'busy' | 'backend-choice' = 'busy'
): ScanErrorInfo {
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status !== 'number') {
    return { kind: 'server-error', message: String(error) };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (status === 0 || status === 502 || status === 504) {
    return { kind: 'unreachable', message, status: status || undefined };
  }
  if (status === 401 || status === 403) {
    return { kind: 'auth', message, status };
  }
  if (status === 404) {
    return { kind: 'not-found', message, status };
  }
  if (status === 409) {
    return { kind: conflict, message, status };
  }
  return { kind: 'server-error', message, status };
}
