import { useEffect, useState } from 'react';
import { loseDevice, startApp } from '../state/actions';
import { useAppStore } from '../state/store';
import { CheckpointInput } from './CheckpointInput';
import { ComparePanel } from './ComparePanel';
import { EngineStatus } from './EngineStatus';
import { ImageInputs, openBlob } from './ImageInputs';
import { ModelPicker } from './ModelPicker';
import { OverlayView } from './OverlayView';
import { SegmentList } from './SegmentList';
import { StageExplorer } from './StageExplorer';
import { ViewControls } from './ViewControls';

declare global {
  interface Window {
    /** Present with `?debug`: hooks for manual checks and the e2e tests. */
    kmaxLens?: { loseDevice: () => Promise<boolean> };
  }
}

export function App() {
  const inputError = useAppStore((s) => s.inputError);
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    const params = new URLSearchParams(location.search);
    if (params.has('debug')) window.kmaxLens = { loseDevice };
    void startApp(import.meta.env.BASE_URL, params.get('model'));
  }, []);
  return (
    <div
      className={dragging ? 'app dragging' : 'app'}
      onDragOver={(e) => {
        if (![...e.dataTransfer.types].includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        const file = [...e.dataTransfer.files][0];
        if (file !== undefined) void openBlob(file, file.name);
      }}
    >
      <header className="top">
        <h1>kMaX Lens</h1>
        <ModelPicker />
        <EngineStatus />
      </header>
      <main className="layout">
        <aside className="side">
          <ImageInputs />
          <ViewControls />
          <section className="panel" aria-labelledby="convert-title">
            <h2 id="convert-title">Official checkpoint</h2>
            <CheckpointInput />
          </section>
        </aside>
        <div className="centre">
          {inputError !== null && (
            <p role="alert" className="error">
              {inputError}
            </p>
          )}
          <OverlayView />
          <StageExplorer />
          <ComparePanel />
        </div>
        <aside className="side">
          <SegmentList />
        </aside>
      </main>
    </div>
  );
}
