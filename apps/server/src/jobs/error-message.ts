/** The text a job records as its last error (and logs): an Error's message, or the thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
