import { useRef, useState } from 'react';
import { megabytes } from '../loading/model-store';
import { adoptConvertedModel, convertCheckpoint } from '../state/actions';
import { engine } from '../state/engine';
import { useAppStore } from '../state/store';
import { CancelledError } from '../worker/errors';
import type { ConversionProgress } from '../worker/protocol';
import { CATALOGUE, describePq, describeSize, parseCatalogue, type ZooEntry } from '../zoo/catalogue';
import { hostOf, type DownloadProgress } from '../zoo/download';
import { PlacedProblemText } from './PlacedProblemText';
import { useFileDrop } from './use-file-drop';

/**
 * The shipped catalogue. A test build (the e2e config) puts entries served by
 * local stand-in hosts ahead of it through VITE_KMAX_ZOO_TEST_CATALOGUE; a
 * normal build has no such variable.
 */
const ZOO: readonly ZooEntry[] = (() => {
  const test: unknown = import.meta.env.VITE_KMAX_ZOO_TEST_CATALOGUE;
  return typeof test === 'string' && test !== '' ? [...parseCatalogue(JSON.parse(test)), ...CATALOGUE] : CATALOGUE;
})();

/** A download under way: bytes, then the conversion's own progress. */
interface Job {
  readonly entry: ZooEntry;
  readonly controller: AbortController;
  readonly progress: { readonly status: 'download'; readonly loaded: number; readonly total: number | null } | ConversionProgress;
}

/** Why the last Get failed; the entry's link and a drop target go with it, and Retry where the host answered. */
interface Problem {
  readonly entry: ZooEntry;
  readonly sentence: string;
  readonly retry: boolean;
}

/**
 * The "Model zoo" section of the model picker: the official checkpoints, and
 * "Get" to download one in the worker, convert it, keep it in this browser and
 * load it. Nothing is fetched before a click. A host that refuses the page gets
 * its link and a drop target for the file downloaded by hand.
 */
export function ModelZoo() {
  const [job, setJob] = useState<Job | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [cancelled, setCancelled] = useState<string | null>(null);
  const shown = useRef('');

  const get = async (entry: ZooEntry) => {
    const controller = new AbortController();
    const show = (progress: Job['progress']) => {
      // The bar moves in steps of 0.5%: hundreds of chunks make no more renders.
      const [done, total] = progress.status === 'download' ? [progress.loaded, progress.total ?? 0] : doneOf(progress);
      const step = `${progress.status}:${Math.floor((200 * done) / Math.max(1, total))}`;
      if (step !== shown.current) setJob({ entry, controller, progress });
      shown.current = step;
    };
    setProblem(null);
    setCancelled(null);
    show({ status: 'download', loaded: 0, total: entry.bytes });
    const size = useAppStore.getState().convertInputSize;
    try {
      const model = await engine().download(
        { url: entry.url, fileName: entry.fileName, bytes: entry.bytes, sha256: entry.sha256 },
        {
          ...(size === null ? {} : { inputSize: [size, size] as const }),
          signal: controller.signal,
          onDownload: (p: DownloadProgress) => show({ status: 'download', loaded: p.loaded, total: p.total }),
          onProgress: show,
        },
      );
      setJob(null);
      await adoptConvertedModel(model);
    } catch (error) {
      setJob(null);
      if (error instanceof CancelledError) {
        setCancelled(`Download of ${entry.fileName} cancelled: nothing was kept, the current model stays.`);
        return;
      }
      const e = error as Error;
      const refused = e.name === 'ZooHostRefusedError';
      setProblem({
        entry,
        sentence: refused
          ? `${hostOf(entry.url)} does not let this page download ${entry.fileName} (no CORS headers, blocked or offline).`
          : `Could not get ${entry.name}: ${e.message}.`,
        // The worker keeps the bytes of a broken connection: Retry asks for the rest.
        retry: !refused,
      });
    }
  };

  return (
    <details className="zoo">
      <summary>Model zoo</summary>
      <div className="zoo-panel">
        <p className="hint">The official kMaX-DeepLab checkpoints. Nothing is downloaded until you press Get; the model is converted and kept in this browser. The input size of the Official checkpoint panel applies.</p>
        {job !== null && <JobProgress job={job} />}
        {cancelled !== null && (
          <p role="status" className="hint">
            {cancelled}
          </p>
        )}
        {problem !== null && <ProblemNotice problem={problem} onRetry={() => void get(problem.entry)} />}
        <ul className="zoo-list" aria-label="Model zoo">
          {ZOO.map((entry) => (
            <li key={entry.name}>
              <strong>{entry.name}</strong>
              <span className="hint">
                {entry.dataset} · {entry.backbone} · {describePq(entry)} · {describeSize(entry.bytes)}
              </span>
              <ZooAction entry={entry} busy={job !== null} onGet={() => void get(entry)} />
            </li>
          ))}
        </ul>
      </div>
    </details>
  );
}

function doneOf(p: ConversionProgress): [number, number] {
  return p.status === 'read' ? [p.loaded, p.total] : p.status === 'convert' ? [p.converted, p.total] : [p.stored, p.total];
}

function ZooAction({ entry, busy, onGet }: { entry: ZooEntry; busy: boolean; onGet: () => void }) {
  if (entry.unsupported !== undefined) return <p className="hint">Cannot run yet: {entry.unsupported}</p>;
  if (entry.access === 'download-then-drop') {
    return (
      <p className="hint">
        <a href={entry.url} target="_blank" rel="noreferrer">
          Download {entry.fileName}
        </a>{' '}
        from {hostOf(entry.url)} (it serves no web page downloads), then drop it on the Official checkpoint panel.
      </p>
    );
  }
  return (
    <button type="button" aria-label={`Get ${entry.name}`} disabled={busy} onClick={onGet}>
      Get
    </button>
  );
}

function JobProgress({ job }: { job: Job }) {
  const { progress, entry } = job;
  const [label, done, total] =
    progress.status === 'download'
      ? [`Downloading ${entry.fileName}: ${megabytes(progress.loaded)} of ${progress.total === null ? 'unknown size' : megabytes(progress.total)}`, progress.loaded, progress.total ?? undefined]
      : progress.status === 'read'
        ? [`Reading ${entry.fileName}`, progress.loaded, progress.total]
        : progress.status === 'convert'
          ? [`Converting tensors: ${progress.converted} of ${progress.total}`, progress.converted, progress.total]
          : [`Storing the model: ${megabytes(progress.stored)} of ${megabytes(progress.total)}`, progress.stored, progress.total];
  return (
    <div className="conversion" data-phase={progress.status}>
      <progress aria-label="Model download" max={total} value={done} />
      <p className="hint">{label}</p>
      {progress.status === 'download' && (
        <button type="button" onClick={() => job.controller.abort()}>
          Cancel
        </button>
      )}
    </div>
  );
}

/** One sentence, the link, and a drop target for the file downloaded by hand (converted as a dropped checkpoint is). */
function ProblemNotice({ problem, onRetry }: { problem: Problem; onRetry: () => void }) {
  const { entry } = problem;
  const drop = useFileDrop((files) => void convertCheckpoint(files, 'zoo'));
  const conversionError = useAppStore((s) => s.conversionError);
  return (
    <div className={drop.over ? 'zoo-problem checkpoint-drop over' : 'zoo-problem checkpoint-drop'} {...drop.handlers}>
      <p role="alert" className="error">
        {problem.sentence}
      </p>
      {problem.retry && (
        <button type="button" aria-label={`Retry ${entry.name}`} onClick={onRetry}>
          Retry
        </button>
      )}
      <p>
        <a href={entry.url} target="_blank" rel="noreferrer">
          Download {entry.fileName}
        </a>{' '}
        yourself, then drop it here or pick it:
      </p>
      <input type="file" aria-label={`Downloaded ${entry.fileName}`} onChange={(e) => void convertCheckpoint([...(e.target.files ?? [])], 'zoo')} />
      <PlacedProblemText problem={conversionError} at="zoo" name="Checkpoint problem" />
    </div>
  );
}
