import { useEffect, useRef, useState } from 'react';
import { convertCheckpoint, loseDevice, parseBackend, runNetwork, startApp } from '../state/actions';
import { engine } from '../state/engine';
import { useAppStore } from '../state/store';
import { BackendPicker } from './BackendPicker';
import { CheckpointInput, isCheckpointFileName } from './CheckpointInput';
import { decodeImage } from './decode-image';
import { ComparePanel } from './ComparePanel';
import { EngineStatus } from './EngineStatus';
import { Filmstrip } from './Filmstrip';
import { ImageInputs, openBlob } from './ImageInputs';
import { Intro } from './Intro';
import { LayerBar } from './LayerBar';
import { ModelInfo } from './ModelInfo';
import { ModelPicker } from './ModelPicker';
import { OverlayView } from './OverlayView';
import { PlacedProblemText } from './PlacedProblemText';
import { SegmentList } from './SegmentList';
import { StageExplorer } from './StageExplorer';
import { useStickyHeaderPadding } from './use-sticky-header-padding';
import { ViewControls } from './ViewControls';

declare global {
  interface Window {
    /** Present with `?debug`: hooks for manual checks and the e2e tests. */
    kmaxLens?: { loseDevice: typeof loseDevice; runNetwork: typeof runNetwork; sentRequests: () => readonly string[]; decodeImage: typeof decodeImage };
  }
}

export function App() {
  const inputError = useAppStore((s) => s.inputError);
  const conversionError = useAppStore((s) => s.conversionError);
  const [dragging, setDragging] = useState(false);
  const header = useRef<HTMLElement>(null);
  useStickyHeaderPadding(header);
  useEffect(() => {
    const params = new URLSearchParams(location.search);
    if (params.has('debug')) window.kmaxLens = { loseDevice, runNetwork, sentRequests: () => [...engine().sent], decodeImage };
    void startApp(import.meta.env.BASE_URL, params.get('model'), parseBackend(params.get('backend')));
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
        const files = [...e.dataTransfer.files];
        if (files.length > 0 && files.every((f) => isCheckpointFileName(f.name))) void convertCheckpoint(files, 'page');
        else if (files[0] !== undefined) void openBlob(files[0], files[0].name, 'page');
      }}
    >
      <header className="top" ref={header}>
        <h1>kMaX Lens</h1>
        <ModelPicker />
        <BackendPicker />
        <EngineStatus />
      </header>
      <main className="layout">
        <aside className="side">
          <ImageInputs />
          <ViewControls />
          <ModelInfo />
          <section className="panel" aria-labelledby="convert-title">
            <h2 id="convert-title">Official checkpoint</h2>
            <CheckpointInput />
          </section>
        </aside>
        <div className="centre">
          {/* A file dropped anywhere on the page (or pasted) is answered above the main view. */}
          <PlacedProblemText problem={inputError} at="page" name="Picture problem" className="error drop-error" />
          <PlacedProblemText problem={conversionError} at="page" name="Checkpoint problem" className="error drop-error" />
          <LayerBar />
          <OverlayView />
          <Filmstrip />
          <ComparePanel />
          <StageExplorer />
        </div>
        <aside className="side">
          <Intro />
          <SegmentList />
        </aside>
      </main>
    </div>
  );
}
