import { BACKEND_ORDER } from '../backend/backend-report';
import { parseBackend } from '../state/actions';
import { useAppStore } from '../state/store';

/**
 * The "Backend" select: automatic, or one backend by name. The worker picks its
 * backend once, so a change reloads the page with `?backend=`.
 */
export function BackendPicker() {
  const reason = useAppStore((s) => s.backend?.reason);
  const requested = parseBackend(new URLSearchParams(location.search).get('backend')) ?? 'auto';
  const choose = (value: string) => {
    const url = new URL(location.href);
    if (value === 'auto') url.searchParams.delete('backend');
    else url.searchParams.set('backend', value);
    location.assign(url.toString());
  };
  return (
    <label className="field backend-picker" title={reason}>
      <span>Backend</span>
      <select aria-label="Backend" value={requested} onChange={(e) => choose(e.target.value)}>
        <option value="auto">automatic</option>
        {BACKEND_ORDER.map((b) => (
          <option key={b} value={b}>
            {b}
          </option>
        ))}
      </select>
    </label>
  );
}
