/**
 * Errors the user can fix (bad file, bad field, bad flag). The CLI prints their message on
 * one line and exits with code 2; anything else is a bug and exits with 1.
 */
export class InputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InputError";
  }
}
