import { useAppStore } from '../state/store';

/** Official kMaX-DeepLab model zoos (links only: the page fetches nothing from them). */
export const MODEL_ZOOS = [
  { name: 'deeplab2 (TensorFlow)', url: 'https://github.com/google-research/deeplab2/blob/main/g3doc/projects/kmax_deeplab.md' },
  { name: 'kMaX-DeepLab (PyTorch)', url: 'https://github.com/bytedance/kmax-deeplab#model-zoo' },
] as const;

/** What the main view shows, in one sentence, and a warning while the demo model (synthetic shapes only) is loaded. */
export function Intro() {
  const demo = useAppStore((s) => s.config?.name === 'synthetic-demo');
  return (
    <div className="intro">
      <p className="what">
        kMaX-DeepLab assigns every pixel to one of its cluster centres (argmax), then moves the centres, in six decoder layers; each colour is one cluster, traced to the
        final segment it becomes. Move <em>Decoder layer</em> or pick a frame under the picture; <em>Final</em> is the panoptic result.
      </p>
      {demo && (
        <p className="demo-banner" role="note" aria-label="About the demo model">
          <strong>Demo model:</strong> trained on synthetic shapes only (sky, grass, brick; discs, squares, triangles, crosses), so a photo comes back as those. For photos, download an official checkpoint from a model zoo (
          {MODEL_ZOOS.map((z, i) => (
            <span key={z.url}>
              {i > 0 && ', '}
              <a href={z.url} target="_blank" rel="noreferrer noopener">
                {z.name}
              </a>
            </span>
          ))}
          ) and drop it on <a href="#convert-title">Official checkpoint</a>.
        </p>
      )}
    </div>
  );
}
