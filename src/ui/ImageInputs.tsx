import { useEffect, useRef, useState } from 'react';
import { create } from 'zustand';
import type { GroundTruthMap } from '../eval/layer-covering';
import { reportInputError, showImage } from '../state/actions';
import type { ProblemPlace } from '../state/placed-problem';
import { useAppStore } from '../state/store';
import { decodeImage, videoFrame } from './decode-image';
import { loadSampleTruth } from './sample-truth';
import { PlacedProblemText } from './PlacedProblemText';

/** Pictures bundled with the app, offered when the model brings none of its own. */
const APP_SAMPLES = ['street.png', 'shapes.png', 'room.png'].map((file) => `${import.meta.env.BASE_URL}samples/${file}`);

/** "street.png" -> "Street". */
function sampleName(url: string): string {
  const stem = (url.split('/').pop() ?? url).replace(/\.[^.]*$/, '').replace(/[-_]+/g, ' ');
  return stem.charAt(0).toUpperCase() + stem.slice(1);
}

/** What the decode Worker says about the picture being opened (null when none is); only the latest picture's. */
const useDecodeStatus = create<{ status: string | null; openId: number }>(() => ({ status: null, openId: 0 }));

/** Decodes a picture from any source and hands it to the store; a broken file only sets a message, said `at` where the user gave it. */
export async function openBlob(blob: Blob, name: string, at: ProblemPlace, truth?: GroundTruthMap): Promise<void> {
  const openId = useDecodeStatus.getState().openId + 1;
  const setStatus = (status: string | null) => {
    if (useDecodeStatus.getState().openId === openId) useDecodeStatus.setState({ status });
  };
  useDecodeStatus.setState({ openId, status: `reading "${name}"…` });
  let image;
  try {
    image = await decodeImage(blob, name, setStatus);
    if (truth !== undefined && truth.width === image.pixels.width && truth.height === image.pixels.height) image = { ...image, truth };
  } catch (error) {
    reportInputError(error instanceof Error ? error.message : String(error), at);
    return;
  } finally {
    setStatus(null);
  }
  const run = showImage(image);
  bringResultIntoView();
  await run;
}

/**
 * Scrolls the main view to just under the sticky header when it is not in sight
 * (on a phone the picker sits below it), so choosing a picture shows its result.
 */
function bringResultIntoView(): void {
  requestAnimationFrame(() => {
    const view = document.querySelector<HTMLElement>('.overlay');
    if (view === null) return;
    const header = document.querySelector<HTMLElement>('header.top')?.offsetHeight ?? 0;
    const box = view.getBoundingClientRect();
    if (box.top >= header && box.top < window.innerHeight * 0.5) return;
    // The page's scroll padding keeps it below the header (use-sticky-header-padding).
    view.scrollIntoView({ block: 'start' });
  });
}

/** The first sample is opened once, when the first model is ready, so that a first visit starts with a result. */
let openedFirstSample = false;

/** Fetches a sample picture from this site and opens it under its file name, with the ground truth it ships. */
async function openSample(url: string): Promise<void> {
  const name = url.split('/').pop() ?? url;
  try {
    // A missing or unreadable ground truth only means no covering in the filmstrip.
    const [response, truth] = await Promise.all([fetch(url), loadSampleTruth(url).catch(() => undefined)]);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    await openBlob(await response.blob(), name, 'picture panel', truth);
  } catch (error) {
    reportInputError(`the sample "${name}" could not be fetched: ${error instanceof Error ? error.message : String(error)}`, 'picture panel');
  }
}

/** Picker, samples, webcam still and paste; drag-and-drop is on the whole page (see App). */
export function ImageInputs() {
  useEffect(() => {
    const paste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
      if (file === undefined) return;
      event.preventDefault();
      // A paste has no place of its own: its problem stands above the main view.
      void openBlob(file, file.name || 'pasted image', 'page');
    };
    window.addEventListener('paste', paste);
    return () => window.removeEventListener('paste', paste);
  }, []);
  const modelSamples = useAppStore((s) => s.models.find((m) => m.id === s.modelId && m.kind === 'served'));
  const samples = modelSamples?.kind === 'served' && modelSamples.samples.length > 0 ? modelSamples.samples : APP_SAMPLES;
  const ready = useAppStore((s) => s.engineStatus === 'ready');
  useEffect(() => {
    if (!ready || openedFirstSample || useAppStore.getState().image !== null) return;
    openedFirstSample = true;
    void openSample(samples[0]);
  }, [ready, samples]);
  return (
    <section className="panel" aria-labelledby="inputs-title">
      <h2 id="inputs-title">Picture</h2>
      <label className="field">
        <span>Image</span>
        <input
          type="file"
          aria-label="Image"
          accept="image/*"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file !== undefined) void openBlob(file, file.name, 'picture panel');
            e.target.value = '';
          }}
        />
      </label>
      <DecodeStatus />
      <InputError />
      <p className="hint">…or drop a picture anywhere, or paste one (Ctrl+V). Pictures never leave this device.</p>
      <div className="samples" role="group" aria-label="Sample images">
        {samples.map((url) => (
          <button key={url} type="button" onClick={() => void openSample(url)}>
            <img src={url} alt="" width={48} height={36} />
            {sampleName(url)}
          </button>
        ))}
      </div>
      <WebcamStill />
    </section>
  );
}

function WebcamStill() {
  const video = useRef<HTMLVideoElement>(null);
  const [stream, setStream] = useState<MediaStream | null>(null);
  useEffect(() => () => stream?.getTracks().forEach((t) => t.stop()), [stream]);
  const start = async () => {
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: true });
      if (video.current !== null) {
        video.current.srcObject = s;
        await video.current.play();
      }
      // Only offer "Take still" once frames are arriving.
      setStream(s);
    } catch (error) {
      reportInputError(`the camera is not available: ${error instanceof Error ? error.message : String(error)}`, 'picture panel');
    }
  };
  const take = () => {
    if (video.current === null) return;
    try {
      void showImage(videoFrame(video.current, 'webcam still'));
      setStream(null);
    } catch (error) {
      reportInputError(error instanceof Error ? error.message : String(error), 'picture panel');
    }
  };
  return (
    <div className="webcam">
      {stream === null ? (
        <button type="button" onClick={() => void start()}>
          Use webcam
        </button>
      ) : (
        <button type="button" onClick={take}>
          Take still
        </button>
      )}
      <video ref={video} hidden={stream === null} muted playsInline aria-label="Webcam preview" />
    </div>
  );
}

/** What the picture being opened is going through (decoding a big photo can take seconds). */
function DecodeStatus() {
  const status = useDecodeStatus((s) => s.status);
  return status === null ? null : (
    <p className="hint" role="status" aria-label="Picture decoding">
      {status}
    </p>
  );
}

/** The last picture problem from this panel (picker, samples, webcam), right under the file picker. */
function InputError() {
  const error = useAppStore((s) => s.inputError);
  return <PlacedProblemText problem={error} at="picture panel" name="Picture problem" />;
}
