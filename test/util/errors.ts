/** The message of the error `fn` throws; fails the test when it throws none. */
export function err(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}
