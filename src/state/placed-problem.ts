/**
 * Where the user acted, so that a problem is said there: the picture panel (picker, samples,
 * webcam), the checkpoint panel (picker, its drop target, stored models), the model zoo's
 * notice (its drop target), or the page (a file dropped anywhere, a paste), whose messages
 * stand above the main view.
 */
export type ProblemPlace = 'picture panel' | 'checkpoint panel' | 'zoo' | 'page';

export interface PlacedProblem {
  readonly message: string;
  readonly at: ProblemPlace;
}
