import type { ClassInfo } from '../model/config';
import type { SegmentResult } from '../segmenter/types';
import type { ViewMode } from '../state/view-slice';
import { instanceView, panopticView, semanticView, type LabelledView } from '../viz';

let last: { result: SegmentResult; viewMode: ViewMode; classes: readonly ClassInfo[]; minScore: number; view: LabelledView | null } | undefined;

/**
 * The regions the overlay and the legend show for `viewMode`, built once per
 * result and shared by both (null while the result lacks that output). Instances
 * are shown above the model's thing threshold, as the panoptic view keeps them.
 */
export function labelledView(result: SegmentResult, viewMode: ViewMode, classes: readonly ClassInfo[], minScore: number): LabelledView | null {
  if (last !== undefined && last.result === result && last.viewMode === viewMode && last.classes === classes && last.minScore === minScore) return last.view;
  const { width, height } = result.panoptic;
  const view =
    viewMode === 'panoptic'
      ? panopticView(result.panoptic, classes)
      : viewMode === 'semantic'
        ? result.semantic === undefined
          ? null
          : semanticView(result.semantic, width, height, classes)
        : result.instances === undefined
          ? null
          : instanceView(result.instances, width, height, classes, minScore);
  last = { result, viewMode, classes, minScore, view };
  return view;
}
