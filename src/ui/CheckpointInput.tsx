import { useShallow } from 'zustand/react/shallow';
import { megabytes } from '../loading/model-store';
import { convertCheckpoint, setConvertInputSize } from '../state/actions';
import type { Conversion, ConvertedModel } from '../state/model-slice';
import { useAppStore } from '../state/store';
import { ConvertedModels } from './ConvertedModels';
import { PlacedProblemText } from './PlacedProblemText';
import { useFileDrop } from './use-file-drop';

/** Names that look like checkpoint files; they only route a page-wide drop here (the bytes decide the format). */
export function isCheckpointFileName(name: string): boolean {
  return /\.(pth|pt|pkl|index|tar\.gz|tgz|tar|zip)$|\.data-\d+-of-\d+$/i.test(name);
}

/** Square input sizes offered (all 32k+1); the official COCO and ADE20K models were trained at 1281. */
const INPUT_SIZES = [1281, 1025, 769, 641, 513, 385, 257, 129] as const;

/**
 * Drop-in conversion of an official checkpoint (issue 3 point 5): a .pth/.pkl
 * file, or a TensorFlow .index with its .data-* shards, dropped here or picked.
 * The worker converts and stores it; the list below shows what is stored.
 */
export function CheckpointInput() {
  const conversion = useAppStore((s) => s.conversion);
  const error = useAppStore((s) => s.conversionError);
  const inputSize = useAppStore((s) => s.convertInputSize);
  const converted = useAppStore(useShallow((s) => s.models.filter((m): m is ConvertedModel => m.kind === 'stored')));
  const drop = useFileDrop((files) => void convertCheckpoint(files, 'checkpoint panel'));
  return (
    <div className={drop.over ? 'checkpoint-drop over' : 'checkpoint-drop'} {...drop.handlers}>
      <label className="field">
        <span>Checkpoint</span>
        <input
          type="file"
          aria-label="Checkpoint"
          multiple
          disabled={conversion !== null}
          onChange={(e) => {
            void convertCheckpoint([...(e.target.files ?? [])], 'checkpoint panel');
            e.target.value = '';
          }}
        />
      </label>
      <label className="field">
        <span>Input size</span>
        <select aria-label="Input size" value={inputSize ?? ''} onChange={(e) => setConvertInputSize(e.target.value === '' ? null : Number(e.target.value))}>
          <option value="">as trained</option>
          {INPUT_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}×{n}
            </option>
          ))}
        </select>
      </label>
      <p className="hint">A .pth or .pkl file, a TensorFlow .index with its .data-* files, or a deeplab2 .tar.gz archive as downloaded. It is converted on this computer and kept in this browser. A smaller input size runs faster and sees less detail.</p>
      {conversion !== null && <ConversionProgressBar conversion={conversion} />}
      <PlacedProblemText problem={error} at="checkpoint panel" name="Checkpoint problem" />
      <ConvertedModels models={converted} />
    </div>
  );
}

function ConversionProgressBar({ conversion }: { conversion: Conversion }) {
  const { progress } = conversion;
  const files = conversion.fileNames.join(' + ');
  const [label, done, total] =
    progress === null
      ? [`Opening ${files}…`, undefined, undefined]
      : progress.status === 'read'
        ? [`Reading ${files}: ${megabytes(progress.loaded)} of ${megabytes(progress.total)}`, progress.loaded, progress.total]
        : progress.status === 'convert'
          ? [`Converting tensors: ${progress.converted} of ${progress.total}`, progress.converted, progress.total]
          : [`Storing the model: ${megabytes(progress.stored)} of ${megabytes(progress.total)}`, progress.stored, progress.total];
  return (
    <div className="conversion" data-phase={progress?.status ?? 'open'}>
      <progress aria-label="Checkpoint conversion" max={total} value={done} />
      <p className="hint">{label}</p>
    </div>
  );
}
