import type { PlacedProblem, ProblemPlace } from '../state/placed-problem';

/**
 * A problem said where the user acted: shown only in the place it belongs to, as an alert
 * named for what went wrong ("Picture problem", "Checkpoint problem").
 */
export function PlacedProblemText({
  problem,
  at,
  name,
  className = 'error',
}: {
  problem: PlacedProblem | null;
  at: ProblemPlace;
  name: 'Picture problem' | 'Checkpoint problem';
  className?: string;
}) {
  return problem?.at !== at ? null : (
    <p className={className} role="alert" aria-label={name}>
      {problem.message}
    </p>
  );
}
