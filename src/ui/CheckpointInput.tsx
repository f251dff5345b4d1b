import { convertCheckpoint } from '../state/actions';

/** Drop-in conversion of an official checkpoint, done in the worker (issue 3 point 5). */
export function CheckpointInput() {
  return (
    <label className="field">
      <span>Checkpoint</span>
      <input
        type="file"
        aria-label="Checkpoint"
        accept=".pth,.pkl,.index,.data-00000-of-00001,.zip"
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file !== undefined) void convertCheckpoint(file);
          e.target.value = '';
        }}
      />
    </label>
  );
}
