import { useEffect, useRef, useState } from 'react';
import { reportInputError, showImage } from '../state/actions';
import { decodeImage, videoFrame } from './decode-image';

const SAMPLES = [
  { file: 'street.png', name: 'Street' },
  { file: 'shapes.png', name: 'Shapes' },
  { file: 'room.png', name: 'Room' },
] as const;

/** Decodes a picture from any source and hands it to the store; a broken file only sets a message. */
export async function openBlob(blob: Blob, name: string): Promise<void> {
  try {
    await showImage(await decodeImage(blob, name));
  } catch (error) {
    reportInputError(error instanceof Error ? error.message : String(error));
  }
}

/** Picker, samples, webcam still and paste; drag-and-drop is on the whole page (see App). */
export function ImageInputs() {
  useEffect(() => {
    const paste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
      if (file === undefined) return;
      event.preventDefault();
      void openBlob(file, file.name || 'pasted image');
    };
    window.addEventListener('paste', paste);
    return () => window.removeEventListener('paste', paste);
  }, []);
  const base = import.meta.env.BASE_URL;
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
            if (file !== undefined) void openBlob(file, file.name);
            e.target.value = '';
          }}
        />
      </label>
      <p className="hint">…or drop a picture anywhere, or paste one (Ctrl+V). Pictures never leave this device.</p>
      <div className="samples" role="group" aria-label="Sample images">
        {SAMPLES.map((s) => (
          <button key={s.file} type="button" onClick={() => void fetch(`${base}samples/${s.file}`).then((r) => r.blob()).then((b) => openBlob(b, s.file))}>
            <img src={`${base}samples/${s.file}`} alt="" width={48} height={36} />
            {s.name}
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
      reportInputError(`the camera is not available: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const take = () => {
    if (video.current === null) return;
    try {
      void showImage(videoFrame(video.current, 'webcam still'));
      setStream(null);
    } catch (error) {
      reportInputError(error instanceof Error ? error.message : String(error));
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
